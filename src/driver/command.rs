//! The `command` login strategy: an external program logs the user in,
//! however the server's login works (an existing Playwright script, a
//! device helper, a company SSO script), and tells the harness where the
//! browser ended up.
//!
//! The contract, also in README:
//!
//! - the program is run in the target profile's directory, with the
//!   authorization URL as its last argument,
//!   and in the environment: `OAUTHSPEC_AUTHORIZATION_URL`,
//!   `OAUTHSPEC_REDIRECT_URI`, `OAUTHSPEC_CONSENT` (`approve`, `deny`, or
//!   the label of the button to press), `OAUTHSPEC_USERNAME`,
//!   `OAUTHSPEC_PASSWORD`;
//! - it must not contact the redirect URI: it stops at the redirect to it;
//! - on success it exits 0 and prints, as its last line, the URL the
//!   browser was sent to last: the redirect URI with the authorization
//!   response (a code or an error), or the page where the server stopped
//!   (an error page at the server);
//! - when it cannot do what was asked (the login page changed, no deny
//!   button) it exits non-zero; the scenario is then a setup error with the
//!   program's stderr, never a verdict on the server.

use std::fmt;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use url::Url;

use super::forms::ConsentChoice;

/// What stdout and stderr keep: a URL and a reason, not a log.
const MAX_OUTPUT: usize = 64 * 1024;

/// The program that logs in.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginCommand {
    /// The program and its first arguments; the authorization URL is added.
    pub argv: Vec<String>,
    /// The longest one login may take.
    pub timeout: Duration,
    /// Where it runs: the target profile's directory (`None`: the current
    /// one).
    pub dir: Option<std::path::PathBuf>,
}

impl fmt::Debug for LoginCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginCommand")
            .field("argv", &self.argv)
            .field("timeout", &self.timeout)
            .field("dir", &self.dir)
            .finish()
    }
}

/// Why the program did not tell where the browser ended.
#[derive(Debug, thiserror::Error)]
pub enum CommandFailure {
    #[error("the login command `{program}` could not be started: {reason}")]
    Spawn { program: String, reason: String },
    #[error("the login command did not finish within {0} s and was killed")]
    Timeout(u64),
    #[error("the login command exited with {status}; its stderr: {stderr}")]
    Exit { status: String, stderr: String },
    #[error("the login command printed no URL as its last line (it printed {last:?})")]
    NoUrl { last: String },
}

/// Runs `command` for one authorization request; the URL the browser was
/// sent to last.
pub async fn run(
    command: &LoginCommand,
    authorization_url: &Url,
    redirect_uri: &str,
    consent: &ConsentChoice,
    (username, password): (&str, &str),
) -> Result<Url, CommandFailure> {
    let program = command.argv.first().cloned().unwrap_or_default();
    let consent = match consent {
        ConsentChoice::Approve => "approve",
        ConsentChoice::Deny => "deny",
        ConsentChoice::Button(label) => label.as_str(),
    };
    let mut child = tokio::process::Command::new(&program);
    if let Some(dir) = &command.dir {
        child.current_dir(dir);
    }
    let mut child = child
        .args(&command.argv[1..])
        .arg(authorization_url.as_str())
        .env("OAUTHSPEC_AUTHORIZATION_URL", authorization_url.as_str())
        .env("OAUTHSPEC_REDIRECT_URI", redirect_uri)
        .env("OAUTHSPEC_CONSENT", consent)
        .env("OAUTHSPEC_USERNAME", username)
        .env("OAUTHSPEC_PASSWORD", password)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| CommandFailure::Spawn {
            program: program.clone(),
            reason: e.to_string(),
        })?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(CommandFailure::Spawn {
            program,
            reason: "no pipes to read".into(),
        });
    };
    let run = async {
        let (out, err) = tokio::join!(read_capped(stdout), read_capped(stderr));
        (child.wait().await, out, err)
    };
    let (status, out, err) = tokio::time::timeout(command.timeout, run)
        .await
        .map_err(|_| CommandFailure::Timeout(command.timeout.as_secs()))?;
    let status = status.map_err(|e| CommandFailure::Spawn {
        program,
        reason: e.to_string(),
    })?;
    if !status.success() {
        return Err(CommandFailure::Exit {
            status: status.to_string(),
            stderr: excerpt(&hide(&err, password)),
        });
    }
    let last = out
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("");
    Url::parse(last).map_err(|_| CommandFailure::NoUrl {
        last: excerpt(&hide(last, password)),
    })
}

/// Reads the pipe to its end, keeping the last [`MAX_OUTPUT`] bytes (the
/// URL is the last line; a chatty program neither blocks nor fills memory).
async fn read_capped(mut pipe: impl tokio::io::AsyncRead + Unpin) -> String {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&buf[..n]);
        if kept.len() > 2 * MAX_OUTPUT {
            kept.drain(..kept.len() - MAX_OUTPUT);
        }
    }
    if kept.len() > MAX_OUTPUT {
        kept.drain(..kept.len() - MAX_OUTPUT);
    }
    String::from_utf8_lossy(&kept).into_owned()
}

/// `text` without the password in it.
fn hide(text: &str, password: &str) -> String {
    if password.is_empty() {
        text.to_owned()
    } else {
        text.replace(password, "«redacted»")
    }
}

/// The end of `text` (where a program's reason usually is), at most 1 KiB.
fn excerpt(text: &str) -> String {
    let text = text.trim();
    if text.len() <= 1024 {
        return text.to_owned();
    }
    let mut start = text.len() - 1024;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> LoginCommand {
        LoginCommand {
            argv: vec!["sh".into(), "-c".into(), script.into(), "sh".into()],
            timeout: Duration::from_secs(5),
            dir: None,
        }
    }

    async fn go(c: &LoginCommand) -> Result<Url, CommandFailure> {
        let url = Url::parse("http://127.0.0.1:1/authorize?x=1").unwrap();
        run(
            c,
            &url,
            "http://127.0.0.1:2/cb",
            &ConsentChoice::Deny,
            ("alice", "s3cret-pw"),
        )
        .await
    }

    #[tokio::test]
    async fn the_last_line_is_the_url_and_the_request_is_passed_on() {
        let c = sh(
            r#"echo "log line"; echo "$OAUTHSPEC_REDIRECT_URI?error=access_denied&c=$OAUTHSPEC_CONSENT&u=$OAUTHSPEC_USERNAME&a=$(echo "$1" | cut -d? -f2)"; echo"#,
        );
        let url = go(&c).await.unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:2/cb?error=access_denied&c=deny&u=alice&a=x=1"
        );
    }

    #[tokio::test]
    async fn failures_are_reasons_without_the_password() {
        let e = go(&sh(
            r#"echo "no deny button for $OAUTHSPEC_PASSWORD" >&2; exit 3"#,
        ))
        .await
        .unwrap_err()
        .to_string();
        assert!(e.contains("exit status: 3"), "{e}");
        assert!(e.contains("no deny button for «redacted»"), "{e}");
        let e = go(&sh("echo not-a-url")).await.unwrap_err().to_string();
        assert!(e.contains("printed no URL"), "{e}");
        let mut slow = sh("sleep 5");
        slow.timeout = Duration::from_millis(200);
        assert!(matches!(go(&slow).await, Err(CommandFailure::Timeout(_))));
        let missing = LoginCommand {
            argv: vec!["/nonexistent/login-helper".into()],
            timeout: Duration::from_secs(1),
            dir: None,
        };
        let e = go(&missing).await.unwrap_err().to_string();
        assert!(e.contains("could not be started"), "{e}");
    }

    #[tokio::test]
    async fn a_chatty_program_is_read_to_its_last_line() {
        let c =
            sh("yes aaaaaaaaaaaaaaaa | head -c 10000000; echo; echo http://127.0.0.1:2/cb?code=x");
        assert_eq!(
            go(&c).await.unwrap().as_str(),
            "http://127.0.0.1:2/cb?code=x"
        );
    }
}
