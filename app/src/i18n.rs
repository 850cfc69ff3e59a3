//! Interface language. zh-CN is the default; the choice is kept in a cookie so
//! the server renders the page in the same language the browser will hydrate.

use leptos::prelude::*;

include!(concat!(env!("OUT_DIR"), "/i18n_keys.rs"));

pub const LANG_COOKIE: &str = "jiuzhu_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Lang {
        match code {
            "en" => Lang::En,
            _ => Lang::ZhCn,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        }
    }

    pub fn text(self, key: Key) -> &'static str {
        match self {
            Lang::ZhCn => key.text_zhcn(),
            Lang::En => key.text_en(),
        }
    }
}

/// The language in force, shared through context.
#[derive(Clone, Copy)]
pub struct I18n {
    lang: RwSignal<Lang>,
}

impl I18n {
    pub fn lang(&self) -> Lang {
        self.lang.get()
    }

    pub fn lang_untracked(&self) -> Lang {
        self.lang.get_untracked()
    }

    /// The text of `key` in the current language (reactive).
    pub fn t(&self, key: Key) -> &'static str {
        self.lang.get().text(key)
    }

    /// The text of `key` as a view that follows the language. Every label in
    /// the interface is this one closure type, so its rendering is compiled
    /// once into the WASM, not once per label (a closure per label was
    /// hundreds of copies, each compiled on the phone the first time it ran).
    pub fn text(self, key: Key) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        move || self.t(key)
    }

    /// The text of `key` with `{name}` placeholders filled in.
    pub fn t_with(&self, key: Key, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_string();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// The translated text of an API error code, falling back to the server's message.
    pub fn error_text(&self, code: &str, message: &str) -> String {
        match Key::by_name(&format!("error.{code}")) {
            Some(key) => self.t(key).to_string(),
            None => self.t_with(Key::CommonError, &[("message", message)]),
        }
    }

    pub fn switch_to(&self, lang: Lang) {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(document) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
            {
                let _ = document.set_cookie(&format!(
                    "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                    lang.code()
                ));
                if let Some(root) = document.document_element() {
                    let _ = root.set_attribute("lang", lang.code());
                }
                document.set_title(&page_title(lang));
            }
        }
        self.lang.set(lang);
    }
}

/// The browser tab's title in `lang`.
pub fn page_title(lang: Lang) -> String {
    format!(
        "{} · {}",
        lang.text(Key::AppName),
        lang.text(Key::AppTagline)
    )
}

/// Reads the language cookie (from the request on the server, from
/// `document.cookie` in the browser) and provides [`I18n`].
pub fn provide_i18n() -> I18n {
    let i18n = I18n {
        lang: RwSignal::new(initial_lang()),
    };
    provide_context(i18n);
    i18n
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

fn cookie_value(cookies: &str, name: &str) -> Option<String> {
    cookies
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

pub fn initial_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get_all(http::header::COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .find_map(|cookies| cookie_value(cookies, LANG_COOKIE))
            })
            .map(|code| Lang::from_code(&code))
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        use wasm_bindgen::JsCast;
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
            .and_then(|d| d.cookie().ok())
            .and_then(|cookies| cookie_value(&cookies, LANG_COOKIE))
            .map(|code| Lang::from_code(&code))
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        let _ = cookie_value;
        Lang::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_key() {
        // build.rs refuses differing key sets; this checks the lookup itself.
        assert_eq!(Lang::ZhCn.text(Key::LoginTitle), "登录");
        assert_eq!(Lang::En.text(Key::LoginTitle), "Log in");
        assert_eq!(Key::by_name("error.forbidden"), Some(Key::ErrorForbidden));
        assert_eq!(Key::by_name("no.such.key"), None);
    }

    #[test]
    fn language_codes_round_trip_and_default_to_chinese() {
        assert_eq!(Lang::from_code(Lang::En.code()), Lang::En);
        assert_eq!(Lang::from_code("fr"), Lang::ZhCn);
        assert_eq!(
            cookie_value("a=1; jiuzhu_lang=en", LANG_COOKIE).as_deref(),
            Some("en")
        );
    }
}
