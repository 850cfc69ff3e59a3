//! Form fields used by several forms.

use leptos::prelude::*;

use crate::api;
use crate::i18n::{use_i18n, Key};

/// A choice of village ("township · village"), bound to `value` (the id as text).
/// Required unless `any` is set, in which case the empty choice means "any village".
#[component]
pub fn VillageSelect(value: RwSignal<String>, #[prop(optional)] any: bool) -> impl IntoView {
    let i18n = use_i18n();
    let villages = Resource::new(|| (), |_| api::list_villages());
    view! {
        <select name="village_id" required=!any bind:value=value aria-label=i18n.text(Key::CaseVillage)>
            <option value="">{move || if any { i18n.t(Key::CasesAnyVillage) } else { i18n.t(Key::UsersChoose) }}</option>
            <Transition>
                {move || Suspend::new(async move {
                    villages.await.unwrap_or_default().into_iter().map(|v| view! {
                        <option value=v.id.to_string()>{format!("{} · {}", v.township.name, v.name)}</option>
                    }).collect_view()
                })}
            </Transition>
        </select>
    }
}

/// A validation message shown next to its field: (field name, message).
pub type FieldErrors = RwSignal<Option<(String, String)>>;

/// The message of `errors` when it concerns `field`; nothing otherwise.
#[component]
pub fn FieldMessage(field: &'static str, errors: FieldErrors) -> impl IntoView {
    let message = move || {
        errors
            .get()
            .filter(|(f, _)| f == field)
            .map(|(_, message)| message)
    };
    view! {
        <Show when=move || message().is_some()>
            <p class="field-error" role="alert" data-field=field>{message}</p>
        </Show>
    }
}
