pub mod check;
pub mod faults;
pub mod serve;
