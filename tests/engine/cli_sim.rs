//! `peel sim` as a user runs it: the list, the base URL on stdout, a request, and a clean stop on
//! Ctrl+C (SIGINT).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn peel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_peel"))
}

#[test]
fn list_explains_every_scenario_in_one_line() {
    let output = peel().args(["sim", "--list"]).output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for name in [
        "calm",
        "free-tier",
        "peak-hour",
        "flaky",
        "no-quota",
        "retired-model",
        "strict-safety",
    ] {
        let line = text
            .lines()
            .find(|line| line.starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"));
        assert!(line.len() > name.len() + 20, "{line}");
    }
}

#[test]
fn bad_arguments_exit_two_with_a_reason() {
    let not_loopback = peel()
        .args(["sim", "--addr", "192.0.2.1:8080"])
        .output()
        .unwrap();
    assert_eq!(not_loopback.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_loopback.stderr).contains("only listens on loopback"));

    let unknown = peel().args(["sim", "--scenario", "rush"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("peel sim --list"));
}

#[test]
fn serves_and_stops_cleanly_on_ctrl_c() {
    let mut child = peel()
        .args(["sim", "--addr", "127.0.0.1:0", "--scenario", "calm"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut base_url = String::new();
    stdout.read_line(&mut base_url).unwrap();
    let host = base_url.trim().strip_prefix("http://").unwrap().to_owned();
    assert!(host.starts_with("127.0.0.1:"), "{base_url}");

    let mut stream = TcpStream::connect(&host).unwrap();
    write!(
        stream,
        "GET /v1/models HTTP/1.1\r\nHost: {host}\r\nx-goog-api-key: {}\r\nConnection: close\r\n\r\n",
        peel::sim::SIM_API_KEY
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("models/gemini-3-pro-image"));

    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "peel sim did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.contains("Simulator stopped after 1 requests"),
        "{stderr}"
    );
}
