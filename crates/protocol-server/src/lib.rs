//! protocol-server (to be written)
