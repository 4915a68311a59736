//! sekimori-flow (in progress)
