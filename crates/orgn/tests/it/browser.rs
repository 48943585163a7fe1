//! The browser-test harness shared by `web.rs` and `web_powers.rs`: chromedriver and a
//! headless Chromium in their own process group, element helpers, screenshots into
//! `target/screenshots/`. What a browser would not do goes through `crate::http`.
//!
//! Needs `chromium` and `chromedriver` on PATH (`apt-get install chromium chromium-driver`);
//! `scripts/test` installs them.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::*;

// --- The browser ------------------------------------------------------------------------------

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: TempDir,
}

pub fn chromium_binary() -> String {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .unwrap_or("chromium")
    .to_string()
}

impl Browser {
    pub async fn start() -> Browser {
        let port = free_port();
        // Its own process group, so that a failed test can end chromedriver and the Chromium
        // it started together (see `Drop`).
        use std::os::unix::process::CommandExt;
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (apt-get install chromium chromium-driver)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not start listening"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = TempDir::new();
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--window-size=1360,900".into(),
            format!("--user-data-dir={}", profile.path.display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium_binary(), "args": args }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session starts");
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    /// After a panic the session was not closed: end the whole process group.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.wait();
    }
}

/// `target/screenshots`, next to the test binary's `target/debug/deps`.
pub fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).expect("target dir").to_path_buf();
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

pub async fn css(c: &Client, selector: &str) -> Element {
    c.wait()
        // Generous: only a failing test waits it out, and a loaded machine is slow.
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
}

pub async fn text(c: &Client, selector: &str) -> String {
    css(c, selector).await.text().await.unwrap()
}

/// The visible text of an element once it has some: an element that a script is about to
/// show (a panel opening on a key press) reads as empty until it is displayed.
pub async fn shown_text(c: &Client, selector: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        let t = text(c, selector).await;
        if !t.trim().is_empty() || started.elapsed() > std::time::Duration::from_secs(15) {
            return t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The text of an element even when it is hidden (an inactive tab).
pub async fn content(c: &Client, selector: &str) -> String {
    css(c, selector)
        .await
        .prop("textContent")
        .await
        .unwrap()
        .unwrap_or_default()
}

pub async fn exists(c: &Client, selector: &str) -> bool {
    !c.find_all(Locator::Css(selector)).await.unwrap().is_empty()
}

/// Whether an element is on the page and displayed, asked once: an element that removes
/// itself (a toast fading out) may be gone between two calls, which is "not displayed".
pub async fn is_displayed_now(c: &Client, selector: &str) -> bool {
    let Some(element) = c
        .find_all(Locator::Css(selector))
        .await
        .unwrap()
        .into_iter()
        .next()
    else {
        return false;
    };
    element.is_displayed().await.unwrap_or(false)
}

pub async fn page_text(c: &Client) -> String {
    // While a form submission navigates, the body found may belong to the page being left:
    // ask again rather than fail.
    let mut tries = 0;
    loop {
        let attempt = match c.find(Locator::Css("body")).await {
            Ok(body) => body.text().await,
            Err(e) => Err(e),
        };
        match attempt {
            Ok(t) => return t,
            Err(e) if tries < 50 => {
                let _ = e;
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the page's text cannot be read: {e}"),
        }
    }
}

/// Waits until the page's text contains `needle`.
pub async fn wait_text(c: &Client, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let body = page_text(c).await;
        if body.contains(needle) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "page never showed {needle:?}; it shows:\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn wait_path(c: &Client, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let url = c.current_url().await.unwrap();
        if url.path() == path {
            return;
        }
        assert!(Instant::now() < deadline, "still at {url}, expected {path}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn press(c: &Client, key: char) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    c.perform_actions(keys).await.unwrap();
}

pub async fn sign_in(c: &Client, base: &str, email: &str) {
    c.goto(&format!("{base}/signin")).await.unwrap();
    fill_sign_in(c, email).await;
    wait_path(c, "/my").await;
}

/// Fills in and sends the sign-in form the browser shows.
pub async fn fill_sign_in(c: &Client, email: &str) {
    css(c, "input[name=email]")
        .await
        .send_keys(email)
        .await
        .unwrap();
    css(c, "input[name=password]")
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    css(c, "form.signin button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
}

pub async fn session_cookie(c: &Client) -> String {
    let cookies = c.get_all_cookies().await.unwrap();
    let s = cookies
        .iter()
        .find(|k| k.name() == "orgn_session")
        .expect("a session cookie");
    format!("orgn_session={}", s.value())
}
