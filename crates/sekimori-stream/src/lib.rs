//! sekimori-stream (in progress)
