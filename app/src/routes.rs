//! The pages behind the login, as lazily loaded routes.
//!
//! `make build` runs `cargo leptos build --split`, which cuts each page's WASM
//! off the main module into a chunk of its own, fetched the first time the page
//! is shown: the login page loads only the router, the layout and the login
//! form. (The browser build needs `--split`: a lazy page is an import that only
//! the splitter provides.) On the server these are ordinary routes; in the
//! browser a page fetches its chunk (and the small chunks it shares with other
//! pages) once the main module runs, and hydrates when they are in.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use crate::components::layout::Authenticated;
use crate::pages::agencies::AgenciesPage;
use crate::pages::case::CasePage;
use crate::pages::cases::CasesPage;
use crate::pages::home::HomePage;
use crate::pages::leads::{LeadsPage, NewLeadPage};
use crate::pages::money::{CaseMoneyPage, MoneyListPage};
use crate::pages::privacy::{AccessGrantsPage, CasePrintPage, CaseReadsPage};
use crate::pages::referrals::ReferralsPage;
use crate::pages::screening::ScreeningPage;
use crate::pages::stats::{BulletinPage, StatsPage};
use crate::pages::users::UsersPage;
use crate::pages::visits::FollowUpsPage;

/// A route whose page needs a logged-in user: `$page` is given the user (`Me`).
/// The pages load their own data, so a route carries none (`data` is empty).
macro_rules! logged_in_route {
    ($route:ident, |$me:pat_param| $page:expr) => {
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_route: Self) -> AnyView {
                view! { <Authenticated page=|$me| $page.into_any()/> }.into_any()
            }
        }
    };
}

logged_in_route!(HomeRoute, |me| view! { <HomePage me/> });
logged_in_route!(CasesRoute, |me| view! { <CasesPage me/> });
logged_in_route!(CaseRoute, |me| view! { <CasePage me/> });
logged_in_route!(CasePrintRoute, |_| view! { <CasePrintPage/> });
logged_in_route!(CaseReadsRoute, |_| view! { <CaseReadsPage/> });
logged_in_route!(AccessGrantsRoute, |_| view! { <AccessGrantsPage/> });
logged_in_route!(LeadsRoute, |_| view! { <LeadsPage/> });
logged_in_route!(NewLeadRoute, |_| view! { <NewLeadPage/> });
logged_in_route!(ScreeningRoute, |_| view! { <ScreeningPage/> });
logged_in_route!(FollowUpsRoute, |_| view! { <FollowUpsPage/> });
logged_in_route!(ReferralsRoute, |me| view! { <ReferralsPage me/> });
logged_in_route!(MoneyListRoute, |me| view! { <MoneyListPage me/> });
logged_in_route!(CaseMoneyRoute, |_| view! { <CaseMoneyPage/> });
logged_in_route!(StatsRoute, |me| view! { <StatsPage me/> });
logged_in_route!(BulletinRoute, |_| view! { <BulletinPage/> });
logged_in_route!(AgenciesRoute, |_| view! { <AgenciesPage/> });
logged_in_route!(UsersRoute, |me| view! { <UsersPage me/> });
