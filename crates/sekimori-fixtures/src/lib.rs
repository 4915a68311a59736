//! sekimori-fixtures (in progress)
