//! The fake upstream's demo catalogue: customers, projects, phases, activities and kinds.
//!
//! The data is fixed at compile time so tests are deterministic and can assert on exact ids
//! and names. The names are chosen to hurt: Danish letters (æ ø å Æ Ø Å), `&`, double and
//! single quotes, an en dash, one activity name (`Møder`, `Udvikling`, `Portal development`)
//! used under several phases, and `Udvikling` next to `Udvikling af rapporter` so a client
//! that matches names by substring picks the wrong one. Ids are unique across *all* levels,
//! so a client that sends a project id where a phase id belongs gets `[]`, not plausible data.

/// A customer, the top of the Tidsreg hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Customer {
    /// The id the lookups answer as `CustomerId` (or `id`).
    pub id: u64,
    /// The display name, exactly as the lookups answer it.
    pub name: &'static str,
    /// Internal customers (Trifork's own time) only allow the "Not billable" kind.
    pub internal: bool,
}

/// A project of one customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Project {
    /// The id the lookups answer as `ProjectId` (or `id`).
    pub id: u64,
    /// The owning customer's id.
    pub customer_id: u64,
    /// The display name; kinds are looked up by this name.
    pub name: &'static str,
}

/// A phase of one project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phase {
    /// The id the lookups answer as `PhaseId` (or `id`).
    pub id: u64,
    /// The owning project's id.
    pub project_id: u64,
    /// The display name.
    pub name: &'static str,
}

/// An activity of one phase: what hours are booked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Activity {
    /// The id the lookups answer as `ActivityId` (or `id`) and `POST /api/hours` takes.
    pub id: u64,
    /// The owning phase's id.
    pub phase_id: u64,
    /// The display name; kinds are looked up by this name.
    pub name: &'static str,
}

/// A kind of hours (billable, overtime, kilometres, ...), chosen per booking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kind {
    /// The id `POST /api/hours` takes as `kindId`.
    pub id: u64,
    /// The display name the kinds lookup answers.
    pub name: &'static str,
    /// Billable kinds get ` (Billable)` appended to the activity name on the week page.
    pub billable: bool,
}

/// The kind id of "Billable", the usual choice for customer work.
pub const KIND_BILLABLE: u64 = 13;
/// The kind id of "Not billable", the only kind an internal customer's projects allow.
pub const KIND_NOT_BILLABLE: u64 = 16;

/// Every kind the upstream knows, with the ids an older public client documents.
pub const KINDS: &[Kind] = &[
    kind(KIND_BILLABLE, "Billable", true),
    kind(14, "Overtime 50 %", true),
    kind(15, "Overtime 100 %", true),
    kind(KIND_NOT_BILLABLE, "Not billable", false),
    kind(17, "Kilometer", false),
    kind(19, "Kilometer not Billable", false),
    kind(20, "Voucher", false),
    kind(21, "Transport hours", false),
];

/// The customer id one public client documents (`{"id": 11166, "name": "&Money ApS"}`).
pub const MONEY_CUSTOMER_ID: u64 = 11166;
/// Trifork's own internal customer: only "Not billable" hours.
pub const INTERNAL_CUSTOMER_ID: u64 = 10001;

/// All demo customers, in the order the customers lookup answers them.
pub const CUSTOMERS: &[Customer] = &[
    customer(MONEY_CUSTOMER_ID, "&Money ApS", false),
    customer(20417, "Ærø Fødevarer A/S", false),
    customer(30125, "Smith & Sønner", false),
    customer(40210, "\"Quoted\" Consulting", false),
    customer(INTERNAL_CUSTOMER_ID, "Trifork A/S (intern)", true),
    customer(50300, "Åbenrå Kommune", false),
];

/// All demo projects; each answers under its customer in this order.
pub const PROJECTS: &[Project] = &[
    project(2101, MONEY_CUSTOMER_ID, "Betalingsplatform"),
    project(2102, MONEY_CUSTOMER_ID, "Support & drift"),
    project(2201, 20417, "Lagerstyring på Ærø"),
    project(2202, 20417, "Webshop \"Ø-mad\""),
    project(2301, 30125, "Bob's 'Hurtige' Fix"),
    project(2401, 40210, "Rådgivning <Cloud>"),
    project(2402, 40210, "Træning"),
    project(2501, INTERNAL_CUSTOMER_ID, "Intern tid"),
    project(2502, INTERNAL_CUSTOMER_ID, "Salg & tilbud"),
    project(2601, 50300, "Borgerportal"),
    project(2602, 50300, "Sagsbehandling"),
];

/// All demo phases; each answers under its project in this order.
pub const PHASES: &[Phase] = &[
    phase(3101, 2101, "Fase 1 – Analyse"),
    phase(3102, 2101, "Fase 2 – Udvikling"),
    phase(3103, 2102, "Løbende support"),
    phase(3201, 2201, "Udvikling"),
    phase(3202, 2201, "Idriftsættelse"),
    phase(3203, 2202, "Vedligehold"),
    phase(3301, 2301, "Gennemførelse"),
    phase(3401, 2401, "Arkitektur"),
    phase(3402, 2401, "Review"),
    phase(3403, 2402, "Kurser"),
    phase(3501, INTERNAL_PROJECT_ID, "Administration"),
    phase(3502, INTERNAL_PROJECT_ID, "Kompetenceudvikling"),
    phase(3503, 2502, "Tilbudsskrivning"),
    phase(3601, 2601, "Fase 1"),
    phase(3602, 2601, "Fase 2"),
    phase(3603, 2602, "Analyse"),
];

/// The internal project ("Intern tid") of the internal customer.
pub const INTERNAL_PROJECT_ID: u64 = 2501;
/// The activity `Udvikling` under `Lagerstyring på Ærø` / `Udvikling`: the exact-match target
/// that sits next to `Udvikling af rapporter`.
pub const UDVIKLING_ACTIVITY_ID: u64 = 4201;

/// All demo activities; each answers under its phase in this order.
pub const ACTIVITIES: &[Activity] = &[
    activity(4101, 3101, "Workshops"),
    activity(4102, 3101, "Møder"),
    activity(4103, 3102, "Portal development"),
    activity(4104, 3102, "Test & kvalitet"),
    activity(4105, 3102, "Code review"),
    activity(4106, 3103, "Support"),
    activity(4107, 3103, "Overvågning"),
    activity(UDVIKLING_ACTIVITY_ID, 3201, "Udvikling"),
    activity(4202, 3201, "Udvikling af rapporter"),
    activity(4203, 3201, "Møder"),
    activity(4204, 3201, "Test & kvalitet"),
    activity(4205, 3202, "Udrulning"),
    activity(4206, 3202, "Brugeruddannelse"),
    activity(4207, 3203, "Support"),
    activity(4208, 3203, "Fejlrettelser"),
    activity(4301, 3301, "Udvikling"),
    activity(4302, 3301, "Projektledelse"),
    activity(4401, 3401, "Arkitektur & design"),
    activity(4402, 3401, "Møder"),
    activity(4403, 3402, "Code review"),
    activity(4404, 3402, "Rapport \"v2\""),
    activity(4405, 3403, "Undervisning"),
    activity(4406, 3403, "Forberedelse"),
    activity(4501, 3501, "Møder"),
    activity(4502, 3501, "Administration"),
    activity(4503, 3502, "Kurser & konferencer"),
    activity(4504, 3502, "Læsning"),
    activity(4505, 3503, "Tilbud"),
    activity(4506, 3503, "Kundemøder"),
    activity(4601, 3601, "Portal development"),
    activity(4602, 3601, "Projektledelse"),
    activity(4603, 3602, "Portal development"),
    activity(4604, 3602, "Test & kvalitet"),
    activity(4605, 3602, "Møder"),
    activity(4606, 3603, "Workshops"),
    activity(4607, 3603, "Dokumentation"),
];

const fn kind(id: u64, name: &'static str, billable: bool) -> Kind {
    Kind { id, name, billable }
}

const fn customer(id: u64, name: &'static str, internal: bool) -> Customer {
    Customer { id, name, internal }
}

const fn project(id: u64, customer_id: u64, name: &'static str) -> Project {
    Project {
        id,
        customer_id,
        name,
    }
}

const fn phase(id: u64, project_id: u64, name: &'static str) -> Phase {
    Phase {
        id,
        project_id,
        name,
    }
}

const fn activity(id: u64, phase_id: u64, name: &'static str) -> Activity {
    Activity { id, phase_id, name }
}

/// Everything above one activity, so callers (and the week page) can name its whole path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActivityPath {
    /// The customer at the top.
    pub customer: &'static Customer,
    /// The project under the customer.
    pub project: &'static Project,
    /// The phase under the project.
    pub phase: &'static Phase,
    /// The activity itself.
    pub activity: &'static Activity,
}

impl ActivityPath {
    /// Whether this activity allows `kind_id` (internal customers allow only "Not billable").
    pub fn allows_kind(&self, kind_id: u64) -> bool {
        kinds_for_customer(self.customer).any(|k| k.id == kind_id)
    }
}

/// All demo customers; the read-only entry point for tests.
pub fn demo_customers() -> &'static [Customer] {
    CUSTOMERS
}

/// The customer with this id, if any.
pub fn customer_by_id(id: u64) -> Option<&'static Customer> {
    CUSTOMERS.iter().find(|c| c.id == id)
}

/// The project with this id, if any.
pub fn project_by_id(id: u64) -> Option<&'static Project> {
    PROJECTS.iter().find(|p| p.id == id)
}

/// The phase with this id, if any.
pub fn phase_by_id(id: u64) -> Option<&'static Phase> {
    PHASES.iter().find(|p| p.id == id)
}

/// The activity with this id, if any.
pub fn activity_by_id(id: u64) -> Option<&'static Activity> {
    ACTIVITIES.iter().find(|a| a.id == id)
}

/// The kind with this id, if any.
pub fn kind_by_id(id: u64) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.id == id)
}

/// The projects of one customer, in lookup order (empty for an unknown customer).
pub fn projects_of(customer_id: u64) -> impl Iterator<Item = &'static Project> {
    PROJECTS
        .iter()
        .filter(move |p| p.customer_id == customer_id)
}

/// The phases of one project, in lookup order (empty for an unknown project).
pub fn phases_of(project_id: u64) -> impl Iterator<Item = &'static Phase> {
    PHASES.iter().filter(move |p| p.project_id == project_id)
}

/// The activities of one phase, in lookup order (empty for an unknown phase).
pub fn activities_of(phase_id: u64) -> impl Iterator<Item = &'static Activity> {
    ACTIVITIES.iter().filter(move |a| a.phase_id == phase_id)
}

/// The kinds a customer's projects allow: internal customers only "Not billable".
pub fn kinds_for_customer(customer: &Customer) -> impl Iterator<Item = &'static Kind> {
    let internal = customer.internal;
    KINDS
        .iter()
        .filter(move |k| !internal || k.id == KIND_NOT_BILLABLE)
}

/// The full path (customer, project, phase) of an activity id, if the id is known.
pub fn activity_path(activity_id: u64) -> Option<ActivityPath> {
    let activity = activity_by_id(activity_id)?;
    let phase = phase_by_id(activity.phase_id)?;
    let project = project_by_id(phase.project_id)?;
    let customer = customer_by_id(project.customer_id)?;
    Some(ActivityPath {
        customer,
        project,
        phase,
        activity,
    })
}

/// Every activity path whose project and activity names match *exactly*, the way the kinds
/// lookup matches them (it takes names, not ids). Several phases may hold the same name.
pub fn find_activity_paths<'a>(
    project_name: &'a str,
    activity_name: &'a str,
) -> impl Iterator<Item = ActivityPath> + 'a {
    ACTIVITIES
        .iter()
        .filter(move |a| a.name == activity_name)
        .filter_map(|a| activity_path(a.id))
        .filter(move |path| path.project.name == project_name)
}

/// The first activity path matching customer, project, phase and activity names exactly:
/// the helper tests use to turn a human-readable path into ids.
pub fn find_activity(
    customer_name: &str,
    project_name: &str,
    phase_name: &str,
    activity_name: &str,
) -> Option<ActivityPath> {
    find_activity_paths(project_name, activity_name)
        .find(|p| p.customer.name == customer_name && p.phase.name == phase_name)
}

/// The kinds the kinds lookup answers for a project and activity *name*: all kinds for a
/// customer's project, only "Not billable" for an internal one, none for unknown names.
pub fn kinds_for_names(project_name: &str, activity_name: &str) -> Vec<&'static Kind> {
    let paths: Vec<ActivityPath> = find_activity_paths(project_name, activity_name).collect();
    if paths.iter().all(|p| p.customer.internal) {
        // Also true for no match at all, which then answers no kinds.
        let allowed = |k: &&Kind| !paths.is_empty() && k.id == KIND_NOT_BILLABLE;
        return KINDS.iter().filter(allowed).collect();
    }
    KINDS.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_positive_and_unique_across_all_levels() {
        let ids: Vec<u64> = CUSTOMERS
            .iter()
            .map(|c| c.id)
            .chain(PROJECTS.iter().map(|p| p.id))
            .chain(PHASES.iter().map(|p| p.id))
            .chain(ACTIVITIES.iter().map(|a| a.id))
            .collect();
        let unique: HashSet<u64> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len());
        assert!(ids.iter().all(|&id| id > 0));
    }

    #[test]
    fn every_child_has_a_parent_and_every_parent_has_children() {
        for p in PROJECTS {
            assert!(customer_by_id(p.customer_id).is_some(), "{p:?}");
        }
        for p in PHASES {
            assert!(project_by_id(p.project_id).is_some(), "{p:?}");
        }
        for a in ACTIVITIES {
            assert!(activity_path(a.id).is_some(), "{a:?}");
        }
        for c in CUSTOMERS {
            assert!((1..=3).contains(&projects_of(c.id).count()), "{c:?}");
        }
        for p in PROJECTS {
            assert!((1..=3).contains(&phases_of(p.id).count()), "{p:?}");
        }
        for p in PHASES {
            assert!((2..=4).contains(&activities_of(p.id).count()), "{p:?}");
        }
    }

    #[test]
    fn project_names_are_unique() {
        let names: HashSet<&str> = PROJECTS.iter().map(|p| p.name).collect();
        assert_eq!(names.len(), PROJECTS.len());
    }

    #[test]
    fn udvikling_sits_beside_a_partial_match_under_a_danish_project() {
        let path = activity_path(UDVIKLING_ACTIVITY_ID).expect("known activity");
        assert_eq!(path.activity.name, "Udvikling");
        assert!(path.project.name.contains('å') && path.project.name.contains('Æ'));
        assert!(activities_of(path.phase.id).any(|a| a.name == "Udvikling af rapporter"));
        let found = find_activity(
            "Ærø Fødevarer A/S",
            "Lagerstyring på Ærø",
            "Udvikling",
            "Udvikling",
        );
        assert_eq!(found, Some(path));
    }

    #[test]
    fn kinds_depend_on_the_customer_being_internal() {
        assert_eq!(
            kinds_for_names("Betalingsplatform", "Møder").len(),
            KINDS.len()
        );
        let internal = kinds_for_names("Intern tid", "Møder");
        assert_eq!(internal.len(), 1);
        assert_eq!(internal[0].id, KIND_NOT_BILLABLE);
        assert!(kinds_for_names("Betalingsplatform", "Møde").is_empty());
        assert!(kinds_for_names("Nope", "Møder").is_empty());
    }

    #[test]
    fn internal_paths_refuse_billable_kinds() {
        let path = activity_path(4501).expect("known activity");
        assert!(!path.allows_kind(KIND_BILLABLE));
        assert!(path.allows_kind(KIND_NOT_BILLABLE));
        assert!(
            activity_path(4101)
                .expect("known")
                .allows_kind(KIND_BILLABLE)
        );
    }
}
