//! sekimori-eve (in progress)
