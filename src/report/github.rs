//! GitHub Actions annotations and step summary. (Being written.)
