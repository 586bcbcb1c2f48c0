pub mod baseline;
pub mod check;
pub mod faults;
pub mod load;
pub mod requirements;
pub mod serve;
pub mod upstream;

use crate::exit;

/// `error: …` on stderr; the exit code of a usage or profile error.
fn usage(e: impl std::fmt::Display) -> u8 {
    eprintln!("error: {e}");
    exit::USAGE
}

/// `error: …` on stderr; the exit code of a run that broke.
fn broken(e: impl std::fmt::Display) -> u8 {
    eprintln!("error: {e}");
    exit::BROKEN
}
