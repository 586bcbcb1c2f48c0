pub mod baseline;
pub mod check;
pub mod faults;
pub mod load;
pub mod requirements;
pub mod serve;
pub mod upstream;
