//! Command handling: UI intents become worker and media commands, sent without waiting (a full
//! channel says "busy" in the notice), and the engine is configured with the client, tier and
//! budgets the key, endpoint and settings call for.

use tokio::sync::mpsc::error::TrySendError;

use super::PeelApp;
use super::media::{KeychainRequest, MediaRequest};
use crate::api::{ApiKey, ClientConfig};
use crate::sim::SIM_API_KEY;
use crate::ui::Intent;
use crate::ui::settings::KeySource;
use crate::worker::{Command, EngineSettings};

impl PeelApp {
    /// Sends `command` to the worker without waiting; a full or closed channel is said in the
    /// notice.
    pub(super) fn command(&mut self, command: Command) {
        self.send_command(command);
    }

    /// [`Self::command`], returning whether it was sent.
    fn send_command(&mut self, command: Command) -> bool {
        match self.worker.commands.try_send(command) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.state.notice = Some("Peel is busy; try again in a moment.".to_owned());
                false
            }
            Err(TrySendError::Closed(_)) => {
                self.state.notice =
                    Some("Peel's worker stopped; restart Peel (queued jobs are kept).".to_owned());
                false
            }
        }
    }

    pub(super) fn media(&mut self, request: MediaRequest) {
        let Some(media) = &self.media else {
            self.state.notice =
                Some("Files and the clipboard are not available in this window.".to_owned());
            return;
        };
        match media.requests.try_send(request) {
            Ok(()) => {}
            Err(TrySendError::Full(request)) => {
                // Thumbnails are asked again when their row is drawn; anything else is news.
                if !matches!(request, MediaRequest::Thumbnail { .. }) {
                    self.state.notice = Some("Peel is busy; try again in a moment.".to_owned());
                }
                if let MediaRequest::Thumbnail { path, .. } = request {
                    self.textures.requested.remove(&path);
                }
            }
            Err(TrySendError::Closed(_)) => {
                self.state.notice = Some("Peel's file service stopped; restart Peel.".to_owned());
            }
        }
    }

    /// The client the engine should use now: Google (or the endpoint) with the key, else the
    /// simulator.
    fn client_config(&self) -> Option<ClientConfig> {
        match &self.api_key {
            Some(key) => {
                let defaults = ClientConfig::default();
                let endpoint = self.settings.endpoint.trim();
                Some(ClientConfig {
                    base_url: if endpoint.is_empty() {
                        defaults.base_url.clone()
                    } else {
                        endpoint.trim_end_matches('/').to_owned()
                    },
                    api_key: Some(key.clone()),
                    ..defaults
                })
            }
            None => self.simulator.as_ref().map(|sim| ClientConfig {
                base_url: sim.base_url(),
                api_key: ApiKey::new(SIM_API_KEY),
                ..ClientConfig::default()
            }),
        }
    }

    /// Sends the engine what changed since the last Configure: the client only when the key or
    /// the endpoint changed it (a new client is a new HTTP client and a models.list refresh),
    /// the tier and budgets always with it. Nothing is sent when nothing changed.
    pub(super) fn configure(&mut self) {
        self.state.simulated_scenario = match (&self.api_key, &self.simulator) {
            (None, Some(sim)) => Some(sim.state().scenario().name().to_owned()),
            _ => None,
        };
        let client = self.client_config();
        let new_client = client != self.sent_client;
        let limits = (self.settings.tier, self.settings.budget);
        if !new_client && self.sent_limits == Some(limits) {
            return;
        }
        let settings = EngineSettings {
            client: client.clone().filter(|_| new_client),
            tier: limits.0,
            budget: limits.1,
        };
        if self.send_command(Command::Configure(Box::new(settings))) {
            self.sent_client = client;
            self.sent_limits = Some(limits);
        }
    }

    pub(super) fn use_key(&mut self, key: Option<ApiKey>, source: KeySource) {
        self.key.masked = key.as_ref().map(ApiKey::masked);
        self.key.source = if key.is_some() {
            source
        } else {
            KeySource::None
        };
        self.api_key = key;
        self.configure();
    }

    pub(super) fn handle(&mut self, intents: Vec<Intent>) {
        for intent in intents {
            match intent {
                Intent::Worker(command) => self.command(command),
                Intent::Select(job) => self.state.selected = Some(job),
                Intent::Restore(job) => {
                    if let Some(view) = self.state.job(job) {
                        let spec = view.spec.clone();
                        self.editor.restore(&spec);
                    }
                }
                Intent::Media(request) => self.media(request),
                Intent::Configure => self.configure(),
                Intent::SetScenario(scenario) => {
                    if let Some(sim) = &self.simulator {
                        sim.state().set_scenario(scenario);
                    }
                    if self.api_key.is_none() {
                        self.state.simulated_scenario = Some(scenario.name().to_owned());
                    }
                }
                Intent::SaveKey(key) => {
                    self.key.message = Some("Saving the key in the system keychain…".to_owned());
                    self.use_key(Some(key.clone()), KeySource::SessionOnly);
                    self.media(MediaRequest::Keychain(KeychainRequest::Store(key)));
                }
                Intent::ForgetKey => {
                    self.use_key(None, KeySource::None);
                    self.media(MediaRequest::Keychain(KeychainRequest::Forget));
                }
                Intent::DismissNotice => self.state.notice = None,
                Intent::LogSeen => self.state.log.mark_seen(),
                Intent::KeepOpen => self.state.quit_warning = false,
                Intent::WaitThenQuit => {
                    self.command(Command::StopSending);
                    self.state.waiting_to_quit = true;
                }
                Intent::QuitAnyway => {
                    if self.state.in_flight() > 0 {
                        self.command(Command::QuitAnyway);
                    }
                    self.state.quit_warning = false;
                    self.quit_anyway = true;
                    self.close_asked = true;
                }
                Intent::ApplyRewrite {
                    job,
                    prompt,
                    generate,
                } => {
                    if let Some(view) = self.state.job(job) {
                        let spec = view.spec.clone();
                        self.editor.restore(&spec);
                    }
                    self.editor.prompt = prompt.trim().to_owned();
                    if generate && !self.editor.prompt.is_empty() {
                        let spec = crate::worker::JobSpec {
                            rewrite_of: Some(job),
                            ..self.editor.spec()
                        };
                        self.command(Command::Generate(spec));
                    }
                }
            }
        }
    }
}
