//! A `nats-server` with JetStream on 127.0.0.1 for one test or benchmark run: started on a free
//! port with its store in a folder, restartable, killed when dropped. Shared by the
//! distributed-crawl tests and `benches/cluster.rs` (which includes this file by path), so it
//! uses nothing but the standard library.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's `nats-server`, wherever it is on this machine.
pub fn nats_server() -> PathBuf {
    for candidate in [
        "nats-server",
        "/usr/sbin/nats-server",
        "/usr/bin/nats-server",
    ] {
        if Command::new(candidate)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return PathBuf::from(candidate);
        }
    }
    panic!(
        "nats-server is missing: run the tests with scripts/test, which installs Debian's nats-server"
    );
}

/// A broker on 127.0.0.1 with JetStream storing in a folder.
pub struct Broker {
    child: Option<Child>,
    config: PathBuf,
    pub url: String,
}

impl Broker {
    /// Starts a broker whose configuration and JetStream store live in `dir`.
    pub fn start(dir: &Path) -> Broker {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        let config = dir.join("nats.conf");
        std::fs::write(
            &config,
            format!(
                "listen: 127.0.0.1:{port}\nmax_payload: 8MB\njetstream {{ store_dir: {:?} }}\n",
                dir.join("jetstream")
            ),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", config.display()));
        let mut broker = Broker {
            child: None,
            config,
            url: format!("nats://127.0.0.1:{port}"),
        };
        broker.restart();
        broker
    }

    /// Starts the server again (after `kill`), on the same port and store.
    pub fn restart(&mut self) {
        let child = Command::new(nats_server())
            .arg("-c")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("nats-server: {e}"));
        self.child = Some(child);
        let address = self.url.trim_start_matches("nats://").to_string();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(&address).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server at once.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
    }
}
