//! sekimori-engine (in progress)
