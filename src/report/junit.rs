//! The JUnit XML report (`--report junit=PATH`). (Being written.)
