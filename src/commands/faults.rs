//! `oauthspec faults`: every injectable fault of the reference server, one
//! a line: its name, the area of the spec that catches it, and the
//! requirement it breaks.

use std::io::Write as _;

use oauthspec_reference_server::Fault;

use crate::exit;

pub fn run() -> u8 {
    let width = Fault::ALL.iter().map(|f| f.name().len()).max().unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for f in Fault::ALL {
        let _ = writeln!(out, "{:width$}  {}", f.name(), f.breaks());
    }
    exit::OK
}
