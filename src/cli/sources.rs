//! `vigil sources status`: every configured source's health, last success and error, next poll
//! and items per day; exit code 2 when any is unhealthy or silent.

use anyhow::Result;
use std::process::ExitCode;
use vigil::config::Config;
use vigil::readside::ReadSide;
use vigil::text::for_terminal;

pub fn status(config: &Config, read: &ReadSide, json: bool) -> Result<ExitCode> {
    let rows = vigil::health::source_statuses(config, read, chrono::Utc::now())?;
    let troubled = rows
        .iter()
        .filter(|r| {
            matches!(
                r.health,
                vigil::health::Health::Unhealthy | vigil::health::Health::Silent
            )
        })
        .count();
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map_or("-".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
        };
        println!(
            "{:<28} {:<9} {:>9} {:<16} {:<16} last error",
            "source", "health", "items/day", "last success", "next poll"
        );
        for row in &rows {
            let error = row
                .last_error
                .clone()
                .or_else(|| row.losses())
                .map(|e| vigil::text::truncate_chars(&for_terminal(&e), 100))
                .unwrap_or_default();
            println!(
                "{:<28} {:<9} {:>9.1} {:<16} {:<16} {}",
                for_terminal(&row.name),
                row.health.as_str(),
                row.items_per_day,
                time(row.last_success),
                time(row.next_poll),
                error
            );
        }
        println!("{} sources, {} unhealthy or silent", rows.len(), troubled);
    }
    Ok(if troubled > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
