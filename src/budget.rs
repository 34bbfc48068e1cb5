//! What one request may spend: a wall-clock deadline and a memory bound, for the thread that
//! serves it. The web (and the CLI's search) enter a `Budget` on the thread doing the work;
//! the index's scorers (`index::budgeted`) and other long loops call `over()` as they go and
//! stop early once it says the budget is spent; the caller then answers with `spent()`'s
//! reason instead of partial results. Outside a budget nothing is limited (the crawler, the
//! percolator and detection bound their work by construction).
//!
//! Memory is counted by `Counting`, the process's global allocator: a thread-local tally of
//! bytes allocated minus bytes freed, with no lock and no atomic. A request's use is the growth
//! of its thread's tally since the budget was entered, so it counts what the request holds, not
//! what other requests do.
//!
//! In: a deadline and a byte limit; out: whether and why the work must stop.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

thread_local! {
    static ALLOCATED: Cell<i64> = const { Cell::new(0) };
    static CURRENT: Cell<Option<Active>> = const { Cell::new(None) };
}

/// The system allocator, counting bytes per thread.
pub struct Counting;

// SAFETY: every call is forwarded unchanged to the system allocator; the tally is a plain
// thread-local integer that never allocates. `try_with` skips counting while the thread's
// locals are being torn down.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        tally(layout.size() as i64);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        tally(layout.size() as i64);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        tally(-(layout.size() as i64));
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        tally(new_size as i64 - layout.size() as i64);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn tally(bytes: i64) {
    let _ = ALLOCATED.try_with(|a| a.set(a.get().wrapping_add(bytes)));
}

/// Bytes this thread has allocated and not freed since it started (it may be negative when the
/// thread frees what another allocated).
pub fn thread_allocated() -> i64 {
    ALLOCATED.try_with(Cell::get).unwrap_or(0)
}

/// A request's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Wall-clock time from entering the budget.
    pub time: Duration,
    /// Bytes the request's thread may come to hold beyond what it held on entering.
    pub memory: u64,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            time: Duration::from_secs(5),
            memory: 256 << 20,
        }
    }
}

/// Why a request was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Spent {
    #[error(
        "the request ran past its time budget of {0:?}; narrow it (a shorter period, fewer words OR'ed together, no leading wildcards)"
    )]
    Time(Duration),
    #[error("the request needed more than its memory budget of {} MB; narrow it (a shorter period, fewer results)", .0 >> 20)]
    Memory(u64),
}

#[derive(Debug, Clone, Copy)]
struct Active {
    deadline: Instant,
    budget: Budget,
    base: i64,
    spent: Option<Spent>,
}

/// The budget in force on this thread until dropped (the previous one, if any, comes back).
#[must_use = "the budget ends when the guard is dropped"]
pub struct Guard {
    previous: Option<Active>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.previous));
    }
}

/// Enters `budget` on this thread, starting now.
pub fn enter(budget: Budget) -> Guard {
    enter_until(budget, Instant::now() + budget.time)
}

/// Enters `budget` with an explicit deadline (a request that queued for a permit keeps the
/// deadline it arrived with).
pub fn enter_until(budget: Budget, deadline: Instant) -> Guard {
    let active = Active {
        deadline,
        budget,
        base: thread_allocated(),
        spent: None,
    };
    Guard {
        previous: CURRENT.with(|c| c.replace(Some(active))),
    }
}

/// Whether the work on this thread must stop now: past its deadline or over its memory. Cheap
/// enough to call every few thousand documents. Once true, it stays true for this budget.
pub fn over() -> bool {
    CURRENT
        .try_with(|c| {
            let Some(mut active) = c.get() else {
                return false;
            };
            if active.spent.is_some() {
                return true;
            }
            let used = thread_allocated().saturating_sub(active.base);
            active.spent = if used > active.budget.memory as i64 {
                Some(Spent::Memory(active.budget.memory))
            } else if Instant::now() >= active.deadline {
                Some(Spent::Time(active.budget.time))
            } else {
                None
            };
            c.set(Some(active));
            active.spent.is_some()
        })
        .unwrap_or(false)
}

/// Why the current budget stopped the work, if it did (checks once more first).
pub fn spent() -> Option<Spent> {
    over();
    CURRENT
        .try_with(|c| c.get().and_then(|a| a.spent))
        .ok()
        .flatten()
}

/// Whether a budget is in force on this thread.
pub fn active() -> bool {
    CURRENT.try_with(|c| c.get().is_some()).unwrap_or(false)
}

/// The process's resident set now and at its peak, in bytes, from `/proc/self/status` (`None`
/// where there is no such file).
pub fn resident() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_stops_on_time_or_memory_and_only_on_its_thread() {
        assert!(!over(), "no budget, no limit");
        {
            let _guard = enter(Budget {
                time: Duration::from_secs(60),
                memory: 1 << 20,
            });
            assert!(!over());
            let held: Vec<u8> = vec![1; 2 << 20];
            // Another thread's allocations do not count against this one.
            std::thread::spawn(|| {
                assert!(!over(), "the budget is the thread's");
                let _big = vec![0u8; 4 << 20];
            })
            .join()
            .unwrap();
            assert!(over(), "2 MB held against a 1 MB budget");
            assert_eq!(spent(), Some(Spent::Memory(1 << 20)));
            drop(held);
            assert!(over(), "once spent, it stays spent");
        }
        assert!(!over() && spent().is_none(), "the guard ends it");
        let _guard = enter(Budget {
            time: Duration::ZERO,
            memory: u64::MAX >> 1,
        });
        assert_eq!(spent(), Some(Spent::Time(Duration::ZERO)));
    }
}
