//! Importers: pure functions from other tools' captures to reprise recordings and mocks.
//! (Being written.)
