//! The HTML report (`--report html=DIR`). (Being written.)
