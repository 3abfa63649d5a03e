//! Finding and removing personal data in suites. (Being written.)
