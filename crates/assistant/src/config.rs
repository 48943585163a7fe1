//! Where the model is and how far one question may go: the endpoint, its wire format, the
//! key, and the limits.

use std::time::Duration;

use serde::Serialize;

/// Which wire format the model endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// OpenAI-compatible Chat Completions (OpenAI, Ollama, llama.cpp server, vLLM, LM Studio).
    OpenAi,
    /// Anthropic's Messages API.
    Anthropic,
}

impl Api {
    /// `openai` or `anthropic`.
    pub fn parse(s: &str) -> Option<Api> {
        match s.trim().to_ascii_lowercase().as_str() {
            "openai" | "open-ai" | "chat-completions" => Some(Api::OpenAi),
            "anthropic" | "messages" => Some(Api::Anthropic),
            _ => None,
        }
    }

    /// Anthropic when the host is api.anthropic.com or the path ends with /v1/messages;
    /// otherwise OpenAI-compatible.
    pub fn detect(url: &str) -> Api {
        let Ok(uri) = url.trim().parse::<http::Uri>() else {
            return Api::OpenAi;
        };
        let host = uri.host().unwrap_or_default().to_ascii_lowercase();
        let path = uri.path().trim_end_matches('/');
        if host == "api.anthropic.com" || path.ends_with("/v1/messages") {
            Api::Anthropic
        } else {
            Api::OpenAi
        }
    }
}

/// The guard rails of one question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Tool calls (run or proposed) per question.
    pub max_tool_calls: usize,
    /// Wall-clock time per question, model and tools together.
    pub time: Duration,
    /// `max_tokens` of each model answer.
    pub max_tokens: u32,
    /// Tokens one person may use in a day (UTC), prompts and answers together
    /// (`orgn serve --assistant-daily-tokens N`); `None`: no budget.
    pub daily_tokens: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_tool_calls: 8,
            time: Duration::from_secs(120),
            max_tokens: 2048,
            daily_tokens: None,
        }
    }
}

/// Where the model is: `orgn serve --assistant-url URL --assistant-model NAME`, the key in
/// `ORGN_ASSISTANT_API_KEY`.
#[derive(Clone, PartialEq, Eq)]
pub struct AssistantConfig {
    /// The endpoint (`…/v1/chat/completions`, `…/v1/messages`) or its base (`…/v1`).
    pub url: String,
    pub model: String,
    pub api_key: Option<String>,
    pub api: Api,
    pub limits: Limits,
}

impl std::fmt::Debug for AssistantConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssistantConfig")
            .field("url", &self.url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "(set)"))
            .field("api", &self.api)
            .field("limits", &self.limits)
            .finish()
    }
}

impl AssistantConfig {
    /// A configuration with the API detected from the URL (see [`Api::detect`]) and the
    /// default limits.
    pub fn new(url: impl Into<String>, model: impl Into<String>, api_key: Option<String>) -> Self {
        let url = url.into();
        AssistantConfig {
            api: Api::detect(&url),
            url,
            model: model.into(),
            api_key,
            limits: Limits::default(),
        }
    }

    /// The same with an explicit API.
    pub fn with_api(mut self, api: Api) -> Self {
        self.api = api;
        self
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Checks the URL and model, for the CLI to refuse a bad configuration at start.
    pub fn validate(&self) -> Result<(), String> {
        if self.model.trim().is_empty() {
            return Err("--assistant-model is empty".into());
        }
        self.endpoint().map(|_| ())
    }

    /// The full endpoint: the URL as given when it names the endpoint, else the base plus
    /// `/chat/completions` (OpenAI; `/v1/chat/completions` on a bare host) or `/v1/messages`.
    pub fn endpoint(&self) -> Result<http::Uri, String> {
        let url = self.url.trim();
        let bad = || format!("--assistant-url must be an http:// or https:// URL, got \"{url}\"");
        let uri: http::Uri = url.parse().map_err(|_| bad())?;
        match uri.scheme_str() {
            Some("http") | Some("https") if uri.host().is_some() => {}
            _ => return Err(bad()),
        }
        let base = url.trim_end_matches('/');
        let path = uri.path().trim_end_matches('/');
        let full = match self.api {
            Api::OpenAi if path.ends_with("/chat/completions") => base.to_string(),
            Api::OpenAi if path.is_empty() => format!("{base}/v1/chat/completions"),
            Api::OpenAi => format!("{base}/chat/completions"),
            Api::Anthropic if path.ends_with("/v1/messages") => base.to_string(),
            Api::Anthropic if path.ends_with("/v1") => format!("{base}/messages"),
            Api::Anthropic => format!("{base}/v1/messages"),
        };
        full.parse().map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_detection_and_endpoints() {
        let c = AssistantConfig::new("https://api.anthropic.com", "claude", None);
        assert_eq!(c.api, Api::Anthropic);
        assert_eq!(
            c.endpoint().unwrap().to_string(),
            "https://api.anthropic.com/v1/messages"
        );
        let c = AssistantConfig::new("http://127.0.0.1:9/v1/messages", "m", None);
        assert_eq!(c.api, Api::Anthropic);
        assert_eq!(
            c.endpoint().unwrap().to_string(),
            "http://127.0.0.1:9/v1/messages"
        );
        let c = AssistantConfig::new("http://localhost:11434/v1", "llama3.2", None);
        assert_eq!(c.api, Api::OpenAi);
        assert_eq!(
            c.endpoint().unwrap().to_string(),
            "http://localhost:11434/v1/chat/completions"
        );
        let c = AssistantConfig::new("http://localhost:8080", "m", None);
        assert_eq!(
            c.endpoint().unwrap().to_string(),
            "http://localhost:8080/v1/chat/completions"
        );
        let c = AssistantConfig::new("https://api.openai.com/v1/chat/completions", "m", None);
        assert_eq!(c.api, Api::OpenAi);
        assert_eq!(
            c.endpoint().unwrap().to_string(),
            "https://api.openai.com/v1/chat/completions"
        );
        let c =
            AssistantConfig::new("https://proxy.example/v1", "m", None).with_api(Api::Anthropic);
        assert_eq!(
            c.endpoint().unwrap().to_string(),
            "https://proxy.example/v1/messages"
        );
        assert!(
            AssistantConfig::new("ftp://x", "m", None)
                .validate()
                .is_err()
        );
        assert!(
            AssistantConfig::new("localhost:8080", "m", None)
                .validate()
                .is_err()
        );
        assert!(
            AssistantConfig::new("http://x", " ", None)
                .validate()
                .is_err()
        );
        assert_eq!(Api::parse("Anthropic"), Some(Api::Anthropic));
        assert!(
            !format!(
                "{:?}",
                AssistantConfig::new("http://x", "m", Some("sk-secret".into()))
            )
            .contains("sk-secret")
        );
    }
}
