//! Account administration: list, add, disable or enable, reset passwords.

use domain::api::{Me, NewUser, ResetPassword, UserView};
use domain::{validate_password, Role};
use leptos::prelude::*;

use crate::api;
use crate::components::fields::VillageSelect;
use crate::components::layout::role_key;
use crate::i18n::{use_i18n, Key};

#[component]
pub fn UsersPage(me: Me) -> impl IntoView {
    let i18n = use_i18n();
    let users = Resource::new(|| (), |_| api::list_users());
    let notice = RwSignal::new(None::<String>);
    let reload = move || users.refetch();

    view! {
        <section class="card">
            <h1>{i18n.text(Key::UsersTitle)}</h1>
            <p class="notice" role="status">{move || notice.get()}</p>
            <Transition fallback=move || view! { <p class="loading">{i18n.text(Key::CommonLoading)}</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Ok(list) => view! { <UserTable users=list my_id=me.id notice reload/> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{i18n.error_text(&e.code, &e.message)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <AddUserForm notice reload/>
    }
}

#[component]
fn UserTable<R>(
    users: Vec<UserView>,
    my_id: i64,
    notice: RwSignal<Option<String>>,
    reload: R,
) -> impl IntoView
where
    R: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let toggle = Action::new(move |(id, disabled): &(i64, bool)| {
        let (id, disabled) = (*id, *disabled);
        async move {
            match api::set_user_disabled(id, disabled).await {
                Ok(_) => reload(),
                Err(e) => notice.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    view! {
        <ul class="user-list" data-testid="user-list">
            {users.into_iter().map(|user| {
                let id = user.id;
                let disabled = user.disabled;
                let scope = user.village.as_ref().or(user.agency.as_ref()).map(|r| r.name.clone());
                let username = user.username.clone();
                view! {
                    <li class="user-row" class:disabled=disabled data-username=user.username.clone()>
                        <div class="user-main">
                            <strong>{user.display_name.clone()}</strong>
                            <span class="muted">" @"{user.username.clone()}</span>
                            <div class="muted">
                                {move || i18n.t(role_key(user.role))}
                                {scope.clone().map(|s| format!(" · {s}"))}
                                " · "
                                {move || if disabled { i18n.t(Key::UsersDisabled) } else { i18n.t(Key::UsersActive) }}
                            </div>
                        </div>
                        <div class="user-actions">
                            {(id != my_id).then(|| view! {
                                <button type="button" on:click=move |_| { toggle.dispatch((id, !disabled)); }>
                                    {move || if disabled { i18n.t(Key::UsersEnable) } else { i18n.t(Key::UsersDisable) }}
                                </button>
                            })}
                            <ResetPasswordButton id username=username.clone() notice/>
                        </div>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn ResetPasswordButton(
    id: i64,
    username: String,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let password = RwSignal::new(String::new());
    let username = StoredValue::new(username);
    let reset = Action::new(move |password: &String| {
        let input = ResetPassword {
            password: password.clone(),
        };
        async move {
            match api::reset_password(id, &input).await {
                Ok(()) => {
                    open.set(false);
                    notice.set(Some(i18n.t_with(
                        Key::UsersPasswordWasReset,
                        &[("username", &username.get_value())],
                    )));
                }
                Err(e) => notice.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    view! {
        <button type="button" on:click=move |_| open.update(|o| *o = !*o)>{i18n.text(Key::UsersResetPassword)}</button>
        <Show when=move || open.get()>
            <form class="inline-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                let value = password.get_untracked();
                match validate_password(&value) {
                    Ok(()) => { reset.dispatch(value); }
                    Err(e) => notice.set(Some(i18n.error_text(e.code, e.message))),
                }
            }>
                <label>
                    <span>{i18n.text(Key::UsersNewPassword)}</span>
                    <input type="password" autocomplete="new-password" bind:value=password/>
                </label>
                <button type="submit" class="primary">{i18n.text(Key::UsersSave)}</button>
            </form>
        </Show>
    }
}

#[component]
fn AddUserForm<R>(notice: RwSignal<Option<String>>, reload: R) -> impl IntoView
where
    R: Fn() + Copy + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let agencies = Resource::new(|| (), |_| api::list_agencies());
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Officer.as_str().to_string());
    let village_id = RwSignal::new(String::new());
    let agency_id = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);

    let create = Action::new(move |input: &NewUser| {
        let input = input.clone();
        async move {
            match api::create_user(&input).await {
                Ok(user) => {
                    error.set(None);
                    notice.set(Some(
                        i18n.t_with(Key::UsersCreated, &[("username", &user.username)]),
                    ));
                    username.set(String::new());
                    display_name.set(String::new());
                    password.set(String::new());
                    reload();
                }
                Err(e) => error.set(Some(i18n.error_text(&e.code, &e.message))),
            }
        }
    });
    let selected_role = move || Role::parse(&role.get()).unwrap_or(Role::Officer);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let role = selected_role();
        let input = NewUser {
            username: username.get_untracked(),
            display_name: display_name.get_untracked(),
            role,
            village_id: (role == Role::VillageCommittee)
                .then(|| village_id.get_untracked().parse().ok())
                .flatten(),
            agency_id: (role == Role::Partner)
                .then(|| agency_id.get_untracked().parse().ok())
                .flatten(),
            password: password.get_untracked(),
        };
        // The same rules the server enforces, checked before sending.
        let checks = domain::validate_username(&input.username)
            .and_then(|_| domain::validate_display_name(&input.display_name))
            .and_then(|_| validate_password(&input.password));
        match checks {
            Ok(()) => {
                create.dispatch(input);
            }
            Err(e) => error.set(Some(i18n.error_text(e.code, e.message))),
        }
    };

    view! {
        <section class="card">
            <h2>{i18n.text(Key::UsersAdd)}</h2>
            <form class="stack" on:submit=on_submit data-testid="add-user">
                <label>
                    <span>{i18n.text(Key::UsersUsername)}</span>
                    <input name="username" autocapitalize="none" required bind:value=username/>
                </label>
                <label>
                    <span>{i18n.text(Key::UsersDisplayName)}</span>
                    <input name="display_name" required bind:value=display_name/>
                </label>
                <label>
                    <span>{i18n.text(Key::UsersRole)}</span>
                    <select name="role" bind:value=role>
                        {Role::ALL.into_iter().map(|r| view! {
                            <option value=r.as_str()>{move || i18n.t(role_key(r))}</option>
                        }).collect_view()}
                    </select>
                </label>
                <Show when=move || selected_role() == Role::VillageCommittee>
                    <label>
                        <span>{i18n.text(Key::UsersVillage)}</span>
                        <VillageSelect value=village_id/>
                    </label>
                </Show>
                <Show when=move || selected_role() == Role::Partner>
                    <label>
                        <span>{i18n.text(Key::UsersAgency)}</span>
                        <select name="agency_id" bind:value=agency_id required>
                            <option value="">{i18n.text(Key::UsersChoose)}</option>
                            <Transition>
                                {move || Suspend::new(async move {
                                    agencies.await.unwrap_or_default().into_iter().map(|a| view! {
                                        <option value=a.id.to_string()>{a.name}</option>
                                    }).collect_view()
                                })}
                            </Transition>
                        </select>
                    </label>
                </Show>
                <label>
                    <span>{i18n.text(Key::UsersPassword)}</span>
                    <input name="password" type="password" autocomplete="new-password" required bind:value=password/>
                </label>
                <p class="error" role="alert">{move || error.get()}</p>
                <button type="submit" class="primary" disabled=move || create.pending().get()>{i18n.text(Key::UsersAdd)}</button>
            </form>
        </section>
    }
}
