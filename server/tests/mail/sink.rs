//! A scriptable SMTP server on loopback for the tests (RFC 5321, the commands lettre sends):
//! each message's DATA is answered as the script says — accepted (250), refused for now
//! (451), refused for good (550), never answered (stall), or with the connection dropped
//! — and every byte of it is kept as received, to check what reached the wire.
//!
//! Shared by `mail.rs`, `instances.rs` and `e2e.rs`; each uses a part of it.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// Mail settings for the SMTP server at `url`, for tests: from `forms@site.test` to
/// `owner@site.test`, 4 attempts 20 ms to 100 ms apart, a 5 s timeout.
pub fn test_mail(url: &str) -> corsform_server::mail::Mail {
    use corsform_server::mail::{Mail, Retry, Smtp};
    Mail {
        retry: Retry {
            attempts: 4,
            delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
        },
        timeout: Duration::from_secs(5),
        ..Mail::new(
            Smtp::parse(url, None).unwrap(),
            "forms@site.test".parse().unwrap(),
            vec!["owner@site.test".parse().unwrap()],
        )
    }
}

/// How the server answers one message's DATA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// `250 2.0.0 queued`.
    Accept,
    /// `451 4.3.0 try again later`.
    Transient,
    /// `550 5.1.1 no such mailbox here`.
    Permanent,
    /// No answer at all; the connection stays open.
    Stall,
    /// The connection is closed without an answer.
    Drop,
}

/// One message the server received.
#[derive(Clone, Debug)]
pub struct Received {
    /// `MAIL FROM:<…>`'s address.
    pub from: String,
    /// Every `RCPT TO:<…>` address.
    pub to: Vec<String>,
    /// The DATA bytes exactly as received, up to (without) the final `.` line; still
    /// dot-stuffed.
    pub data: Vec<u8>,
    /// How it was answered.
    pub answer: Answer,
}

impl Received {
    /// The message as the recipient stores it: dots unstuffed.
    pub fn message(&self) -> Vec<u8> {
        let text = self.data.clone();
        let mut out = Vec::with_capacity(text.len());
        let mut line_start = true;
        let mut i = 0;
        while i < text.len() {
            if line_start && text[i] == b'.' {
                i += 1;
            }
            if i < text.len() {
                out.push(text[i]);
                line_start = text[i] == b'\n';
            }
            i += 1;
        }
        out
    }

    /// The submission id in the message's `Message-ID: <corsform.ID.TIME@domain>` (the
    /// outbox sends several at once, so they arrive in any order). Panics without one.
    pub fn submission_id(&self) -> i64 {
        let message = self.message();
        let text = String::from_utf8_lossy(&message);
        let id = text
            .split_once("<corsform.")
            .and_then(|(_, id)| id.split('.').next()?.parse().ok());
        id.unwrap_or_else(|| panic!("no corsform Message-ID in {text}"))
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Answer>,
    otherwise: Option<Answer>,
    received: Vec<Received>,
    /// Every byte received on every connection, commands included.
    wire: Vec<u8>,
}

/// A running server; it stops with the test's runtime.
#[derive(Clone)]
pub struct Sink {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    state: Arc<Mutex<State>>,
    changed: Arc<Notify>,
}

impl Sink {
    /// Starts a server that answers the messages as `script` says, then `otherwise`.
    pub async fn start(script: &[Answer], otherwise: Answer) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = Sink {
            addr: listener.local_addr().unwrap().to_string(),
            state: Arc::new(Mutex::new(State {
                script: script.iter().copied().collect(),
                otherwise: Some(otherwise),
                ..State::default()
            })),
            changed: Arc::new(Notify::new()),
        };
        let server = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move {
                    let _ = server.session(stream).await;
                });
            }
        });
        sink
    }

    /// Accepts everything.
    pub async fn accepting() -> Sink {
        Sink::start(&[], Answer::Accept).await
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every message received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// The messages that were accepted.
    pub fn accepted(&self) -> Vec<Received> {
        let all = self.received();
        all.into_iter()
            .filter(|r| r.answer == Answer::Accept)
            .collect()
    }

    /// Every byte received on any connection.
    pub fn wire(&self) -> Vec<u8> {
        self.state.lock().unwrap().wire.clone()
    }

    /// Waits until `done` holds for the messages received, checking after each one; panics
    /// after `patience` (a bound, so that a broken server fails the test, not a measure).
    pub async fn wait_for(&self, patience: Duration, done: impl Fn(&[Received]) -> bool) {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let changed = self.changed.notified();
            if done(&self.received()) {
                return;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                panic!("the SMTP server received {:#?}", self.received());
            }
        }
    }

    async fn session(&self, stream: TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        write.write_all(b"220 sink.test ESMTP\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        loop {
            let mut line = Vec::new();
            if read.read_until(b'\n', &mut line).await? == 0 {
                return Ok(());
            }
            self.state.lock().unwrap().wire.extend_from_slice(&line);
            let text = String::from_utf8_lossy(&line).trim_end().to_owned();
            let verb = text
                .split([' ', ':'])
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let path = || {
                let start = text.find('<').map_or(text.len(), |i| i + 1);
                let end = text.find('>').unwrap_or(text.len()).max(start);
                text[start..end].to_owned()
            };
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
                "HELO" | "NOOP" => b"250 ok\r\n",
                "RSET" => {
                    (from, to) = (String::new(), Vec::new());
                    b"250 ok\r\n"
                }
                "MAIL" => {
                    from = path();
                    b"250 ok\r\n"
                }
                "RCPT" => {
                    to.push(path());
                    b"250 ok\r\n"
                }
                "DATA" => {
                    write.write_all(b"354 go on\r\n").await?;
                    let mut data = Vec::new();
                    while !data.ends_with(b"\r\n.\r\n") && data != b".\r\n" {
                        let mut byte = [0u8];
                        if read.read_exact(&mut byte).await.is_err() {
                            return Ok(());
                        }
                        data.push(byte[0]);
                    }
                    let answer = {
                        let mut state = self.state.lock().unwrap();
                        state.wire.extend_from_slice(&data);
                        let answer = match state.script.pop_front() {
                            Some(answer) => answer,
                            None => state.otherwise.unwrap_or(Answer::Accept),
                        };
                        data.truncate(data.len() - 3);
                        state.received.push(Received {
                            from: std::mem::take(&mut from),
                            to: std::mem::take(&mut to),
                            data,
                            answer,
                        });
                        answer
                    };
                    self.changed.notify_waiters();
                    match answer {
                        Answer::Accept => b"250 2.0.0 queued\r\n",
                        Answer::Transient => b"451 4.3.0 try again later\r\n",
                        Answer::Permanent => b"550 5.1.1 no such mailbox here\r\n",
                        Answer::Stall => {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                            return Ok(());
                        }
                        Answer::Drop => return Ok(()),
                    }
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => b"502 5.5.2 not implemented\r\n",
            };
            write.write_all(reply).await?;
        }
    }
}
