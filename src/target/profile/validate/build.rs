//! The whole profile: every section in order, then what the kind of target needs, the hosts
//! the driver may contact, and what `[tls]` changes elsewhere.

use std::collections::BTreeSet;

use url::Url;

use super::Validator;
use crate::driver::http::{HostAllowlist, HostPort};
use crate::target::Endpoint;
use crate::target::profile::raw::RawProfile;
use crate::target::profile::{
    JwtApiProfile, ProfileError, RelyingPartyProfile, TargetKind, TargetProfile,
};

impl Validator<'_> {
    /// Validates every section; the first error found is the one reported.
    pub(in crate::target::profile) fn build(
        &mut self,
        raw: RawProfile,
    ) -> Result<TargetProfile, ProfileError> {
        self.non_empty("name", &raw.name)?;
        let issuer = self.issuer(&raw.issuer)?;
        let endpoints = self.endpoints(&raw.endpoints)?;
        let clients = self.clients(&raw.clients)?;
        let registration = self.registration(raw.registration.as_ref(), &clients)?;
        let login = raw.login.as_ref().map(|l| self.login(l)).transpose()?;
        let resources = self.resources(&raw.resources)?;
        let expiry = self.expiry(raw.expiry.as_ref())?;
        let timeout = self.timeout(raw.http.as_ref())?;
        let lifetimes = self.lifetimes(raw.lifetimes.as_ref())?;
        let extra_hosts = self.allow_hosts(raw.http.as_ref())?;
        let test_admin = self.test_admin(raw.test_admin.as_ref())?;
        let jwt_api = self.jwt_api(raw.jwt_api.as_ref())?;
        let relying_party = self.relying_party_of(&raw)?;
        let mut p = TargetProfile {
            source: self.source.to_owned(),
            name: raw.name,
            kind: raw.kind,
            issuer,
            endpoints,
            clients,
            registration,
            login,
            resources,
            expiry,
            lifetimes,
            test_admin,
            jwt_api,
            relying_party,
            timeout,
            allowed_hosts: HostAllowlist::default(),
            tls: Default::default(),
            load: Default::default(),
        };
        self.kind_needs(&p)?;
        p.allowed_hosts = allowed_hosts(&p, extra_hosts);
        p.tls = self.tls(raw.tls.as_ref())?;
        p.load = self.load(raw.load.as_ref())?;
        self.certificate_clients(&p)?;
        // Chromium has its own trust store: it follows only the opt-out (see README, "TLS").
        if p.tls.skip_verify {
            let login_browser = p.login.as_mut().and_then(|l| l.browser.as_mut());
            if let Some(b) = login_browser {
                b.process.ignore_certificate_errors = true;
            }
            let rp_browser = p.relying_party.as_mut().and_then(|r| r.browser.as_mut());
            if let Some(b) = rp_browser {
                b.process.ignore_certificate_errors = true;
            }
        }
        Ok(p)
    }

    /// `[relying_party]`, only for relying-party targets.
    fn relying_party_of(
        &self,
        raw: &RawProfile,
    ) -> Result<Option<RelyingPartyProfile>, ProfileError> {
        let relying_party = raw
            .relying_party
            .as_ref()
            .map(|r| self.relying_party(r))
            .transpose()?;
        if relying_party.is_some() && raw.kind != TargetKind::RelyingParty {
            return Err(self.err(
                "relying_party",
                "[relying_party] is for relying-party targets: add `kind = \"relying-party\"`",
            ));
        }
        Ok(relying_party)
    }

    /// What each kind of target needs of the rest of the profile.
    fn kind_needs(&self, p: &TargetProfile) -> Result<(), ProfileError> {
        match p.kind {
            TargetKind::RelyingParty => self.relying_party_needs(p),
            TargetKind::OAuth => self.oauth_needs(p),
            TargetKind::JwtApi => self.jwt_api_needs(p),
        }
    }

    fn relying_party_needs(&self, p: &TargetProfile) -> Result<(), ProfileError> {
        let Some(rp) = &p.relying_party else {
            return Err(self.err(
                "kind",
                "a relying-party target needs a [relying_party] table (login_url, callback_url, upstream_port, client_id, client_secret)",
            ));
        };
        if let Some(i) = p.resources.iter().position(|r| r.role.is_some()) {
            return Err(self.err(
                &format!("resources[{i}].role"),
                "roles are for jwt-api targets: a relying party's API is called with the token of its one login",
            ));
        }
        if !p.resources.is_empty() && rp.token.is_none() && rp.session.is_none() {
            return Err(self.err(
                "relying_party.token",
                "[[resources]] of a relying party are called with the app's own token: say where the callback's answer carries it (json:/pointer, cookie:NAME or header:NAME)",
            ));
        }
        Ok(())
    }

    fn oauth_needs(&self, p: &TargetProfile) -> Result<(), ProfileError> {
        if p.jwt_api.is_some() {
            return Err(self.err(
                "jwt_api",
                "[jwt_api] is for jwt-api targets: add `kind = \"jwt-api\"`",
            ));
        }
        if p.issuer.is_none()
            && p.endpoints.get(Endpoint::Authorization).is_none()
            && p.endpoints.get(Endpoint::Token).is_none()
        {
            return Err(self.err(
                "issuer",
                "an oauth target needs an `issuer` (for discovery) or [endpoints] with `authorization` or `token`",
            ));
        }
        let can_get_a_client =
            !p.clients.is_empty() || p.registration.as_ref().is_some_and(|r| r.enabled);
        if !can_get_a_client && p.resources.is_empty() {
            return Err(self.err(
                "",
                "nothing to check: name [[clients]], enable [registration], or list [[resources]]",
            ));
        }
        Ok(())
    }

    fn jwt_api_needs(&self, p: &TargetProfile) -> Result<(), ProfileError> {
        let Some(j): Option<&JwtApiProfile> = p.jwt_api.as_ref() else {
            return Err(self.err(
                "kind",
                "a jwt-api target needs a [jwt_api] table with at least `login_url`",
            ));
        };
        if j.users.is_empty() {
            return Err(self.err(
                "jwt_api",
                "a jwt-api target needs at least one [[jwt_api.users]] entry",
            ));
        }
        for (i, r) in p.resources.iter().enumerate() {
            let missing = r
                .role
                .as_ref()
                .filter(|role| j.user_with_role(role).is_none());
            if let Some(role) = missing {
                return Err(self.err(
                    &format!("resources[{i}].role"),
                    format!("no [[jwt_api.users]] entry has the role `{role}`"),
                ));
            }
        }
        Ok(())
    }

    /// A client that authenticates with its certificate needs `[tls]`'s.
    fn certificate_clients(&self, p: &TargetProfile) -> Result<(), ProfileError> {
        if p.tls.identity.is_none()
            && let Some(i) = p
                .clients
                .iter()
                .position(|c| c.auth_method.by_certificate())
        {
            return Err(self.err(
                &format!("clients[{i}].auth_method"),
                "mutual-TLS client authentication (RFC 8705) needs the certificate: set [tls] client_cert and client_key",
            ));
        }
        Ok(())
    }
}

/// Every host the profile names, plus `[http] allow_hosts`.
fn allowed_hosts(p: &TargetProfile, extra_hosts: Vec<HostPort>) -> HostAllowlist {
    let mut hosts: BTreeSet<HostPort> = BTreeSet::new();
    let mut add = |u: &Url| {
        if let Some(hp) = HostPort::from_url(u) {
            hosts.insert(hp);
        }
    };
    p.issuer.iter().for_each(&mut add);
    p.endpoints.iter().for_each(|(_, u)| add(u));
    p.resources.iter().for_each(|r| add(&r.url));
    if let Some(j) = &p.jwt_api {
        add(&j.login_url);
        j.refresh_url.iter().for_each(&mut add);
        j.logout_url.iter().for_each(&mut add);
    }
    if let Some(t) = &p.test_admin {
        add(&t.url);
    }
    if let Some(r) = &p.relying_party {
        add(&r.login_url);
        add(&r.callback_url);
        // The fake provider the harness starts, where the app sends the browser.
        hosts.insert(HostPort::new("127.0.0.1", r.upstream_port));
    }
    hosts.extend(extra_hosts);
    HostAllowlist::new(hosts)
}
