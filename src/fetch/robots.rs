//! robots.txt per RFC 9309, as rules the fetcher asks before each request: fetched once per
//! origin and cached for a day; a 4xx answer means "no rules"; a 5xx answer or an unreachable
//! server means "disallow everything" for a while, then ask again. Crawl-delay is read and handed
//! to the host's rate limiter. Parsing is texting_robots'; this module owns the status policy
//! and the cache lifetimes.

use std::time::{Duration, Instant};

/// The product token Vigil matches in `User-agent:` lines.
pub const AGENT: &str = "Vigil";
/// Largest robots.txt read (RFC 9309 asks crawlers to parse at least 500 KiB).
pub const MAX_ROBOTS_BYTES: u64 = 512 * 1024;
/// How long a fetched robots.txt (or a 4xx answer) is trusted.
pub const FRESH_FOR: Duration = Duration::from_secs(24 * 3600);
/// How long "unreachable, so disallowed" lasts before robots.txt is asked for again.
pub const UNREACHABLE_FOR: Duration = Duration::from_secs(30 * 60);
/// Longest Crawl-delay honoured; beyond this a site would starve its own sources.
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(600);

/// The rules of one origin.
pub enum Rules {
    /// No robots.txt (4xx) or an empty one.
    AllowAll,
    /// The server failed (5xx) or could not be reached: nothing may be fetched for now.
    Unreachable(String),
    /// Parsed rules for Vigil's agent.
    Parsed(Box<texting_robots::Robot>),
}

/// Cached rules and when they stop being trusted.
pub struct Entry {
    pub rules: Rules,
    pub expires: Instant,
}

impl Entry {
    /// Rules from a robots.txt response: its status and (for 2xx) its body.
    pub fn from_response(status: u16, body: &[u8]) -> Entry {
        let now = Instant::now();
        match status {
            200..=299 => match texting_robots::Robot::new(AGENT, body) {
                Ok(robot) => Entry {
                    rules: Rules::Parsed(Box::new(robot)),
                    expires: now + FRESH_FOR,
                },
                // An unparseable file says nothing usable: treat as no rules, as for a 4xx.
                Err(_) => Entry {
                    rules: Rules::AllowAll,
                    expires: now + FRESH_FOR,
                },
            },
            400..=499 => Entry {
                rules: Rules::AllowAll,
                expires: now + FRESH_FOR,
            },
            _ => Entry::unreachable(format!("robots.txt answered http status {status}")),
        }
    }

    /// Rules when robots.txt could not be fetched at all.
    pub fn unreachable(reason: String) -> Entry {
        Entry {
            rules: Rules::Unreachable(reason),
            expires: Instant::now() + UNREACHABLE_FOR,
        }
    }

    /// Whether the rules are still to be trusted.
    pub fn is_fresh(&self) -> bool {
        Instant::now() < self.expires
    }

    /// `Ok` when the path (with its query) may be fetched, else why not.
    pub fn check(&self, path_and_query: &str) -> Result<(), String> {
        match &self.rules {
            Rules::AllowAll => Ok(()),
            Rules::Unreachable(reason) => Err(format!(
                "robots.txt unavailable ({reason}), so nothing is fetched for now"
            )),
            Rules::Parsed(robot) if robot.allowed(path_and_query) => Ok(()),
            Rules::Parsed(_) => Err(format!("disallowed by robots.txt for user-agent {AGENT}")),
        }
    }

    /// The Crawl-delay for Vigil, bounded.
    pub fn crawl_delay(&self) -> Option<Duration> {
        match &self.rules {
            Rules::Parsed(robot) => robot
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| Duration::from_secs_f32(d.min(MAX_CRAWL_DELAY.as_secs_f32()))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_policy_and_rules() {
        let robots = b"User-agent: *\nDisallow: /private\n\nUser-agent: Vigil\nDisallow: /no-vigil\nAllow: /no-vigil/ok\nCrawl-delay: 2.5\n";
        let cases: Vec<(u16, &[u8], &str, bool)> = vec![
            (200, robots, "/feed.xml", true),
            (200, robots, "/no-vigil/feed.xml", false),
            (200, robots, "/no-vigil/ok/feed.xml", true),
            (200, robots, "/private/feed.xml", true), // the Vigil group replaces the * group
            (200, b"User-agent: *\nDisallow: /\n", "/feed.xml", false),
            (200, b"\xff\xfe garbage \x00", "/feed.xml", true),
            (404, b"", "/anything", true),
            (403, b"", "/anything", true),
            (500, b"", "/anything", false),
            (503, b"", "/anything", false),
        ];
        for (status, body, path, allowed) in cases {
            let entry = Entry::from_response(status, body);
            assert_eq!(entry.check(path).is_ok(), allowed, "{status} {path}");
        }
        assert_eq!(
            Entry::from_response(200, robots).crawl_delay(),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(
            Entry::from_response(200, b"User-agent: *\nCrawl-delay: 99999\n").crawl_delay(),
            Some(MAX_CRAWL_DELAY)
        );
        assert!(
            Entry::unreachable("connection refused".into())
                .check("/")
                .unwrap_err()
                .contains("connection refused")
        );
    }
}
