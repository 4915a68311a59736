//! sekimori-defrag (in progress)
