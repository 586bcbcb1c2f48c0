pub mod check;
pub mod faults;
pub mod load;
pub mod serve;
pub mod upstream;
