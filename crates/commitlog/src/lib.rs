//! commitlog (to be written)
