//! Starts a `corsform-server serve` in the background and waits for the line it prints once
//! its socket is bound, `corsform-server: listening on http://ADDR`: from then on it accepts
//! connections. The one way the tests and the tasks start a server.
//!
//! Plain std, so both use this one file without a dependency between them: the server's
//! integration tests through `mod common;` (`tests/common/mod.rs`), the xtask through
//! `#[path = "../../server/tests/common/listening.rs"]`.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

/// What the server prints before the address, once it listens.
const LISTENING: &str = "listening on http://";

/// A server running in the background, killed (SIGKILL) when dropped.
pub struct Listening {
    child: Child,
    /// The address it listens on, as it printed it: `127.0.0.1:PORT`.
    pub addr: String,
}

impl Listening {
    /// Spawns `command` with its stdout piped and waits for its `listening on` line; an
    /// error if it cannot start or exits first. Its stdout is drained from then on, so it
    /// never blocks on a full pipe; its stderr is left as `command` set it.
    pub fn start(command: &mut Command) -> Result<Listening, String> {
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut line = String::new();
        let addr = loop {
            line.clear();
            match stdout.read_line(&mut line) {
                Ok(0) | Err(_) => {
                    let status = child.wait().map_err(|e| e.to_string())?;
                    return Err(format!(
                        "{:?} exited ({status}) before listening",
                        command.get_program()
                    ));
                }
                Ok(_) => {}
            }
            if let Some(at) = line.find(LISTENING) {
                break line[at + LISTENING.len()..].trim().to_owned();
            }
        };
        std::thread::spawn(move || {
            let _ = stdout.read_to_end(&mut Vec::new());
        });
        Ok(Listening { child, addr })
    }

    /// Kills the server at once (SIGKILL, as a crash would) and waits for it to exit.
    /// The process's id. (Used by the server's tests, not by the xtask, which shares
    /// this file.)
    #[allow(dead_code)]
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit by itself.
    #[allow(dead_code)]
    pub fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.child.wait()
    }

    pub fn kill(&mut self) -> std::io::Result<()> {
        self.child.kill()?;
        self.child.wait().map(drop)
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}
