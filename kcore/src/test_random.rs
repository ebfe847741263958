//! The deterministic random numbers the unit tests use (a linear congruential generator), so that
//! model tests and mutation tests repeat exactly.

/// A linear congruential generator over a 64-bit state.
pub struct Random(pub u64);

impl Random {
    /// Advances the generator and returns the new state.
    pub fn step(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0
    }

    /// A number in `0..n`.
    pub fn next(&mut self, n: u64) -> u64 {
        (self.step() >> 33) % n
    }
}
