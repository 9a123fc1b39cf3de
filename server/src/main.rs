//! corsform-server (stub; see its issue).
fn main() {}
