//! The lean request path of the measured load requests (issue 14). `oauthspec check` sends
//! every request through [`Driver`](crate::driver::Driver), which builds an evidence record,
//! redacts it, checks the allowlist and turns header pairs into a header map each time; a
//! load run sends the same request tens of thousands of times a second, and on a shared
//! machine every cycle spent there is taken from the server being measured.
//!
//! So a load request is [`Prepared`] once (allowlist and scheme checked, headers and body
//! built, as [`flow`](crate::driver::flow) builds them for `check`), and each send only adds
//! what changes per request (a token in the form or an `Authorization: Bearer` header),
//! keeping connections open between requests. No evidence is recorded and no redirect is
//! followed (a request on a pooled connection the server had closed is sent again on a new
//! one, as both HTTP stacks do).
//!
//! Two transports: `http://` goes straight to hyper's pooled client (reqwest's redirect,
//! cookie and decompression layers parse every URL again: measured, they cost the generator
//! more than the server's `/healthz`); `https://` goes through the driver's own client
//! settings, which carry the profile's `[tls]` (CAs, client certificate, verification).

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use oauthspec_load::{Exchange, Reply};
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT,
};
use url::Url;

use crate::driver::http::{
    DriverConfig, DriverError, HostAllowlist, HttpRequest, client_builder, error_chain,
};
use crate::driver::{HostPort, tls};

/// The most of an answer a load request reads: a token, introspection or resource answer is
/// a few KiB; a larger one is a failure, not a reason to hold megabytes per user.
pub const MAX_BODY: usize = 1024 * 1024;

/// The HTTP client of the measured requests.
pub struct Lean {
    plain: HyperClient<HttpConnector, Full<Bytes>>,
    tls: reqwest::Client,
    allowlist: HostAllowlist,
    user_agent: HeaderValue,
    timeout: Duration,
    client_cert: bool,
}

/// A request built once: method, URL, headers (with `User-Agent` and `Content-Type`) and
/// body, its host checked against the allowlist.
#[derive(Clone, Debug)]
pub struct Prepared {
    method: reqwest::Method,
    url: Url,
    /// The same URL for hyper; `None` for `https://` (sent by the TLS client).
    plain_uri: Option<hyper::Uri>,
    headers: HeaderMap,
    body: Bytes,
    /// `POST /token`: for error messages (never the query, which may hold secrets).
    label: String,
}

impl Prepared {
    /// The body every send starts from.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

/// Which client sends a prepared request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// hyper for `http://`, the TLS-capable client for `https://`.
    Scheme,
    /// The TLS-capable client, whatever the scheme (it sends `http://` too).
    TlsClient,
}

/// What a send adds to its prepared request.
#[derive(Clone, Copy, Debug)]
pub enum Vary<'a> {
    Nothing,
    /// These pairs appended to the form body.
    Form(&'a [(&'a str, &'a str)]),
    /// `Authorization: Bearer <token>` (RFC 6750 §2.1).
    Bearer(&'a str),
}

impl Lean {
    pub fn new(config: &DriverConfig, allowlist: HostAllowlist) -> Result<Self, DriverError> {
        let tls = client_builder(config)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| DriverError::Client(error_chain(&e)))?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(config.timeout));
        let plain = HyperClient::builder(TokioExecutor::new()).build(connector);
        let user_agent =
            HeaderValue::from_str(&config.user_agent).map_err(|e| DriverError::InvalidHeader {
                name: "User-Agent".into(),
                message: e.to_string(),
            })?;
        Ok(Self {
            plain,
            tls,
            allowlist,
            user_agent,
            timeout: config.timeout,
            client_cert: config.tls.identity.is_some(),
        })
    }

    /// Checks and builds `request` once, for many sends.
    pub fn prepare(&self, request: &HttpRequest) -> Result<Prepared, DriverError> {
        self.prepare_via(request, Via::Scheme)
    }

    /// Like [`prepare`](Self::prepare), choosing the client: the generator's ceiling is an
    /// `http://` endpoint, but it must be asked through the client the target's requests use.
    pub fn prepare_via(&self, request: &HttpRequest, via: Via) -> Result<Prepared, DriverError> {
        let label = format!("{} {}", request.method, request.url.path());
        if !matches!(request.url.scheme(), "http" | "https") {
            return Err(DriverError::UnsupportedScheme { url: label });
        }
        if !self.allowlist.allows(&request.url) {
            return Err(DriverError::HostNotAllowed {
                host: HostPort::from_url(&request.url)
                    .map(|h| h.to_string())
                    .unwrap_or_else(|| "(no host)".into()),
                url: label,
            });
        }
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, self.user_agent.clone());
        if let Some(ct) = request.body.content_type() {
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_str(ct).map_err(invalid(ct))?,
            );
        }
        for (k, v) in &request.headers {
            let name = HeaderName::from_bytes(k.as_bytes()).map_err(invalid(k))?;
            headers.append(name, HeaderValue::from_str(v).map_err(invalid(k))?);
        }
        // What reqwest (the driver's client) sends when nothing else is asked for.
        if !headers.contains_key(ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
        }
        let plain_uri = match (request.url.scheme(), via) {
            ("http", Via::Scheme) => {
                Some(request.url.as_str().parse::<hyper::Uri>().map_err(|e| {
                    DriverError::InvalidUrl {
                        url: label.clone(),
                        message: e.to_string(),
                    }
                })?)
            }
            _ => None,
        };
        Ok(Prepared {
            method: request.method.clone(),
            url: request.url.clone(),
            plain_uri,
            headers,
            body: Bytes::from(request.body.bytes()),
            label,
        })
    }

    /// Sends `prepared` with `vary` added, timed from the send to the answer's last byte.
    pub async fn send(&self, name: &str, prepared: &Prepared, vary: Vary<'_>) -> Exchange {
        let method = method_label(prepared.method.as_str());
        let mut headers = prepared.headers.clone();
        let body = match vary {
            Vary::Nothing => prepared.body.clone(),
            Vary::Form(pairs) => {
                let base = String::from_utf8_lossy(&prepared.body).into_owned();
                let mut form = url::form_urlencoded::Serializer::for_suffix(base, 0);
                for (k, v) in pairs {
                    form.append_pair(k, v);
                }
                Bytes::from(form.finish())
            }
            Vary::Bearer(token) => {
                match HeaderValue::from_str(&format!("Bearer {token}")) {
                    Ok(v) => {
                        headers.insert(AUTHORIZATION, v);
                    }
                    Err(_) => {
                        return failed(method, name, "the access token cannot be sent in a header");
                    }
                }
                prepared.body.clone()
            }
        };
        let started = Instant::now();
        let outcome = match &prepared.plain_uri {
            Some(uri) => {
                let mut request = hyper::Request::new(Full::new(body));
                *request.method_mut() = prepared.method.clone();
                *request.uri_mut() = uri.clone();
                *request.headers_mut() = headers;
                self.plain(request, prepared).await
            }
            None => {
                let request = self
                    .tls
                    .request(prepared.method.clone(), prepared.url.clone())
                    .headers(headers)
                    .body(body);
                self.over_tls(request, prepared).await
            }
        };
        Exchange {
            method,
            name: name.to_owned(),
            elapsed: started.elapsed(),
            outcome,
        }
    }

    async fn plain(
        &self,
        request: hyper::Request<Full<Bytes>>,
        prepared: &Prepared,
    ) -> Result<Reply, String> {
        let exchange = async {
            let response = self
                .plain
                .request(request)
                .await
                .map_err(|e| format!("{}: {}", prepared.label, error_chain(&e)))?;
            let status = response.status().as_u16();
            let content_type = content_type(response.headers());
            let body = Limited::new(response.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        format!("{}: answer larger than {MAX_BODY} bytes", prepared.label)
                    } else {
                        format!("{}: {e}", prepared.label)
                    }
                })?
                .to_bytes();
            Ok(Reply {
                status,
                content_type,
                body: body.into(),
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "{}: no complete answer within {:?}",
                    prepared.label, self.timeout
                ))
            })
    }

    async fn over_tls(
        &self,
        request: reqwest::RequestBuilder,
        prepared: &Prepared,
    ) -> Result<Reply, String> {
        let explain = |e: reqwest::Error| {
            let host =
                HostPort::from_url(&prepared.url).map_or_else(String::new, |h| h.to_string());
            let why = if e.is_timeout() {
                format!("no complete answer within {:?}", self.timeout)
            } else {
                tls::explain(&e, &host, self.client_cert).unwrap_or_else(|| error_chain(&e))
            };
            format!("{}: {why}", prepared.label)
        };
        let mut response = request.send().await.map_err(explain)?;
        let status = response.status().as_u16();
        let content_type = content_type(response.headers());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(explain)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(format!(
                    "{}: answer larger than {MAX_BODY} bytes",
                    prepared.label
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            status,
            content_type,
            body,
        })
    }
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn invalid<E: std::fmt::Display>(name: &str) -> impl FnOnce(E) -> DriverError + '_ {
    move |e| DriverError::InvalidHeader {
        name: name.to_owned(),
        message: e.to_string(),
    }
}

fn failed(method: &'static str, name: &str, why: &str) -> Exchange {
    Exchange {
        method,
        name: name.to_owned(),
        elapsed: Duration::ZERO,
        outcome: Err(why.to_owned()),
    }
}

/// goose wants a `&'static str` method.
pub fn method_label(m: &str) -> &'static str {
    match m {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn lean(timeout: Duration, port: u16) -> (Lean, Url) {
        let url = Url::parse(&format!("http://127.0.0.1:{port}/x")).unwrap();
        let allow = HostAllowlist::new(HostPort::from_url(&url));
        let config = DriverConfig {
            timeout,
            ..DriverConfig::default()
        };
        (Lean::new(&config, allow).unwrap(), url)
    }

    /// What the loopback server does with a request.
    #[derive(Clone)]
    enum Answer {
        Silent,
        Fixed(Vec<u8>),
        /// 200 with the request as it arrived, byte for byte, as the body.
        Echo,
    }

    /// Reads one request: its head, and its body as long as Content-Length says.
    async fn read_request(sock: &mut tokio::net::TcpStream) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = sock.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                return got;
            }
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).to_ascii_lowercase();
            if let Some(end) = text.find("\r\n\r\n") {
                let len = text[..end]
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if got.len() >= end + 4 + len {
                    return got;
                }
            }
        }
    }

    /// A loopback server that reads a request and answers as `answer` says.
    async fn server(answer: Answer) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let request = read_request(&mut sock).await;
                    let reply = match answer {
                        Answer::Silent => {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                            return;
                        }
                        Answer::Fixed(a) => a,
                        Answer::Echo => {
                            let mut r = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
                                request.len()
                            )
                            .into_bytes();
                            r.extend_from_slice(&request);
                            r
                        }
                    };
                    let _ = sock.write_all(&reply).await;
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn a_silent_server_times_out_on_both_clients() {
        let port = server(Answer::Silent).await;
        let (lean, url) = lean(Duration::from_millis(300), port);
        for via in [Via::Scheme, Via::TlsClient] {
            let p = lean
                .prepare_via(&HttpRequest::get(url.clone()), via)
                .unwrap();
            let x = lean.send("x", &p, Vary::Nothing).await;
            let e = x.outcome.unwrap_err();
            assert!(
                e.contains("GET /x: no complete answer within 300ms"),
                "{via:?}: {e}"
            );
        }
    }

    #[tokio::test]
    async fn an_answer_over_the_limit_is_a_failure_on_both_clients() {
        let mut big = format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n",
            MAX_BODY + 1
        )
        .into_bytes();
        big.resize(big.len() + MAX_BODY + 1, b'a');
        let port = server(Answer::Fixed(big)).await;
        let (lean, url) = lean(Duration::from_secs(10), port);
        for via in [Via::Scheme, Via::TlsClient] {
            let p = lean
                .prepare_via(&HttpRequest::get(url.clone()), via)
                .unwrap();
            let e = lean.send("x", &p, Vary::Nothing).await.outcome.unwrap_err();
            assert!(
                e.contains("answer larger than 1048576 bytes"),
                "{via:?}: {e}"
            );
        }
    }

    /// What reaches the server: the prepared request plus exactly what the send varies, on
    /// both clients.
    #[tokio::test]
    async fn sends_add_only_what_varies() {
        let port = server(Answer::Echo).await;
        let (lean, url) = lean(Duration::from_secs(10), port);
        let form = HttpRequest::post(url.clone())
            .header("Accept", "application/json")
            .header("Authorization", "Basic Yzpz")
            .form(vec![("grant_type".into(), "refresh_token".into())]);
        for via in [Via::Scheme, Via::TlsClient] {
            let p = lean.prepare_via(&form, via).unwrap();
            let x = lean
                .send("t", &p, Vary::Form(&[("refresh_token", "a b&c")]))
                .await;
            let reply = x.outcome.unwrap();
            assert_eq!(reply.status, 200);
            let seen = String::from_utf8(reply.body).unwrap();
            let lower = seen.to_ascii_lowercase();
            assert!(seen.starts_with("POST /x HTTP/1.1\r\n"), "{via:?}: {seen}");
            assert!(
                seen.ends_with("\r\n\r\ngrant_type=refresh_token&refresh_token=a+b%26c"),
                "{via:?}: {seen}"
            );
            assert_eq!(lower.matches("\r\naccept:").count(), 1, "{via:?}: {seen}");
            assert!(
                lower.contains("\r\naccept: application/json\r\n"),
                "{via:?}: {seen}"
            );
            assert!(
                lower.contains("\r\nauthorization: basic yzpz\r\n"),
                "{via:?}: {seen}"
            );
            assert!(lower.contains("\r\ncontent-type: application/x-www-form-urlencoded\r\n"));
            assert!(
                lower.contains(&format!("\r\nhost: 127.0.0.1:{port}\r\n")),
                "{seen}"
            );
            assert!(lower.contains("\r\nuser-agent: oauthspec/"), "{seen}");
            // The prepared body is unchanged by a send.
            assert_eq!(p.body(), b"grant_type=refresh_token");

            // A Bearer send replaces nothing else and adds its header.
            let get = lean
                .prepare_via(&HttpRequest::get(url.clone()), via)
                .unwrap();
            let seen = lean
                .send("r", &get, Vary::Bearer("tok.en"))
                .await
                .outcome
                .unwrap();
            let seen = String::from_utf8(seen.body).unwrap().to_ascii_lowercase();
            assert!(seen.starts_with("get /x http/1.1\r\n"), "{seen}");
            assert!(
                seen.contains("\r\nauthorization: bearer tok.en\r\n"),
                "{seen}"
            );
            assert!(seen.contains("\r\naccept: */*\r\n"), "{seen}");
        }
        // Not on the allowlist: refused when prepared, never sent.
        let other = Url::parse("http://127.0.0.2:1/").unwrap();
        assert!(matches!(
            lean.prepare(&HttpRequest::get(other)),
            Err(DriverError::HostNotAllowed { .. })
        ));
    }
}
