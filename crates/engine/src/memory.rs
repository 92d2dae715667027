//! The memory budget for results in flight: every run charges the rows it holds (the size of
//! the record batches the database sends, as they arrive) to one budget for the whole server,
//! and gives them back once its result is formatted. A run whose rows would pass the budget
//! stops fetching and fails, naming the limit (`--max-result-memory`), instead of taking the
//! server's memory from every other query — many large results at once cannot exhaust it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Bytes of rows results may hold at once in all, unless configured (2 GiB).
pub const DEFAULT_MAX_RESULT_MEMORY: u64 = 2 << 30;

/// The server's budget.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: u64,
    used: AtomicU64,
}

impl MemoryBudget {
    pub fn new(limit: u64) -> Arc<MemoryBudget> {
        Arc::new(MemoryBudget { limit: limit.max(1), used: AtomicU64::new(0) })
    }

    /// Bytes charged now by runs in flight.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }
}

/// What one run has charged to the budget; given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<MemoryBudget>,
    held: AtomicU64,
}

/// A charge the budget could not take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverBudget {
    pub limit: u64,
    /// Held by this run when it stopped, and by the others.
    pub held: u64,
    pub others: u64,
}

impl Reservation {
    pub fn new(budget: &Arc<MemoryBudget>) -> Reservation {
        Reservation { budget: Arc::clone(budget), held: AtomicU64::new(0) }
    }

    /// Charges `bytes` more, or refuses them when the budget would be passed (nothing charged).
    pub fn charge(&self, bytes: u64) -> Result<(), OverBudget> {
        let budget = &self.budget;
        let mut used = budget.used.load(Ordering::Relaxed);
        loop {
            let wanted = used.saturating_add(bytes);
            if wanted > budget.limit {
                let held = self.held.load(Ordering::Relaxed);
                return Err(OverBudget { limit: budget.limit, held, others: used.saturating_sub(held) });
            }
            match budget.used.compare_exchange_weak(used, wanted, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => break,
                Err(now) => used = now,
            }
        }
        self.held.fetch_add(bytes, Ordering::Relaxed);
        Ok(())
    }

    /// Gives back `bytes` of what was charged (rows written out and dropped).
    pub fn release(&self, bytes: u64) {
        let given = bytes.min(self.held.load(Ordering::Relaxed));
        self.held.fetch_sub(given, Ordering::Relaxed);
        self.budget.used.fetch_sub(given, Ordering::AcqRel);
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(*self.held.get_mut(), Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_share_the_budget_and_give_it_back() {
        let budget = MemoryBudget::new(100);
        let a = Reservation::new(&budget);
        let b = Reservation::new(&budget);
        a.charge(60).unwrap();
        assert_eq!(b.charge(50), Err(OverBudget { limit: 100, held: 0, others: 60 }));
        b.charge(40).unwrap();
        assert_eq!(budget.used(), 100);
        drop(a);
        assert_eq!(budget.used(), 40);
        b.charge(60).unwrap();
        drop(b);
        assert_eq!(budget.used(), 0);
    }
}
