//! The pages behind the login, as lazily loaded routes.
//!
//! `make build` runs `cargo leptos build --split`, which cuts the pages' WASM
//! off the main module, fetched the first time a page behind the login is
//! shown: the login page loads only the router, the layout and the login form.
//! (The browser build needs `--split`: a lazy page is an import that only the
//! splitter provides.) The pages come in three splits: the lists an officer
//! works from, a case's own pages, and the office's (statistics, users). With
//! a split per route the splitter cut the code the pages share into a chunk
//! per combination of pages that use it: the case list fetched over a hundred
//! files of a few hundred bytes each, a round trip each on a phone. With three
//! there are at most four shared chunks, and a list page does not carry the
//! case page's code. On the server these are ordinary routes; in the
//! browser a page waits for the pages' file once the main module runs, and
//! hydrates when it is in.

use domain::api::Me;
use leptos::lazy;
use leptos::prelude::*;
use leptos_router::LazyRoute;

use crate::components::deferred::yield_during_first_hydration;
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

/// The pages behind the login, each in its split: `Page`, one lazily loaded
/// function per split, `page_view`, which finds a page's split, and
/// `preload_page`, which fetches it. A split is named with the preload
/// function that `#[lazy]` makes for it in the browser build.
macro_rules! pages {
    ($( $(#[$doc:meta])* $split:ident / $preload:ident { $($page:ident => |$me:pat_param| $view:expr),* $(,)? } )*) => {
        /// A page behind the login.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Page { $($($page,)*)* }

        $(
            $(#[$doc])*
            #[lazy]
            fn $split(page: Page) -> AnyView {
                let page = move |me: Me| match page {
                    $(Page::$page => {
                        let $me = me;
                        $view.into_any()
                    })*
                    #[allow(unreachable_patterns)]
                    _ => unreachable!("page_view sends a split only its own pages"),
                };
                view! { <Authenticated page/> }.into_any()
            }
        )*

        /// The view of `page` for the logged-in user, once its split is in.
        async fn page_view(page: Page) -> AnyView {
            match page {
                $($(Page::$page => $split(page).await,)*)*
            }
        }

        /// Fetches `page`'s split. The router awaits this before it hydrates
        /// a lazy route: hydration must find the page's code already in.
        async fn preload_page(page: Page) {
            #[cfg(feature = "hydrate")]
            match page {
                $($(Page::$page => $preload().await,)*)*
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = page;
        }
    };
}

pages! {
    /// The lists an officer or a supervisor works from.
    list_pages / __preload_list_pages {
        Home => |me| view! { <HomePage me/> },
        Cases => |me| view! { <CasesPage me/> },
        Leads => |_| view! { <LeadsPage/> },
        Screening => |_| view! { <ScreeningPage/> },
        FollowUps => |_| view! { <FollowUpsPage/> },
        Referrals => |me| view! { <ReferralsPage me/> },
        MoneyList => |me| view! { <MoneyListPage me/> },
    }
    /// A case's own pages, and a new lead.
    case_pages / __preload_case_pages {
        Case => |me| view! { <CasePage me/> },
        CasePrint => |_| view! { <CasePrintPage/> },
        CaseReads => |_| view! { <CaseReadsPage/> },
        CaseMoney => |_| view! { <CaseMoneyPage/> },
        NewLead => |_| view! { <NewLeadPage/> },
    }
    /// The office's pages: statistics, partner agencies, users, access grants.
    office_pages / __preload_office_pages {
        Stats => |me| view! { <StatsPage me/> },
        Bulletin => |_| view! { <BulletinPage/> },
        Agencies => |_| view! { <AgenciesPage/> },
        Users => |me| view! { <UsersPage me/> },
        AccessGrants => |_| view! { <AccessGrantsPage/> },
    }
}

/// A route to one of the pages behind the login. The pages load their own
/// data, so a route carries none (`data` is empty).
macro_rules! logged_in_route {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        pub struct $route;

        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(_route: Self) -> AnyView {
                page_view(Page::$page).await
            }

            async fn preload() {
                preload_page(Page::$page).await;
                // The page's file was just compiled in this task: hydrate in
                // the next. (Here, not in `view`: the router hydrates the page
                // once this is done, and a page's view still pending while it
                // hydrates breaks the hydration.)
                yield_during_first_hydration().await;
            }
        }
    )*};
}

logged_in_route! {
    HomeRoute => Home,
    CasesRoute => Cases,
    CaseRoute => Case,
    CasePrintRoute => CasePrint,
    CaseReadsRoute => CaseReads,
    AccessGrantsRoute => AccessGrants,
    LeadsRoute => Leads,
    NewLeadRoute => NewLead,
    ScreeningRoute => Screening,
    FollowUpsRoute => FollowUps,
    ReferralsRoute => Referrals,
    MoneyListRoute => MoneyList,
    CaseMoneyRoute => CaseMoney,
    StatsRoute => Stats,
    BulletinRoute => Bulletin,
    AgenciesRoute => Agencies,
    UsersRoute => Users,
}
