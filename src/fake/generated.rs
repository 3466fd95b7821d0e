//! A generated large catalogue, for the search benchmark and the tests of search at scale:
//! hundreds of customers with Danish and English names (æ ø å, apostrophes, hyphens,
//! quotes, `&`), each with a few projects, phases and activities, drawn from fixed word
//! lists by a seeded generator, so every run sees the same catalogue.
//!
//! It starts with the demo catalogue ([`super::data`]), so the demo's ids still answer (and
//! can still be booked), and ends with [`QUALITY_PATHS`]: real-looking names the search
//! quality tests type sloppily and must still find.

use super::data;

/// One entry of a level, under the entry with id `parent` of the level above (0 for
/// customers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: u64,
    pub parent: u64,
    pub name: String,
}

/// A whole catalogue, level by level, each entry in lookup order under its parent.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    pub customers: Vec<Entry>,
    pub projects: Vec<Entry>,
    pub phases: Vec<Entry>,
    pub activities: Vec<Entry>,
}

impl Generated {
    /// Lookups a full walk takes: the customers, then one per customer, project and phase.
    pub fn lookups_to_walk(&self) -> usize {
        1 + self.customers.len() + self.projects.len() + self.phases.len()
    }
}

/// The paths the quality tests look for: customer, project, phase, activities.
pub const QUALITY_PATHS: &[(&str, &str, &str, &[&str])] = &[
    (
        "Brødrene Sørensen ApS",
        "Regnskabssystem",
        "Implementering",
        &["Bogføring", "Møder"],
    ),
    (
        "D'Angelo Consulting Ltd",
        "Data-model",
        "Analyse",
        &["Datamodellering", "Workshops"],
    ),
    (
        "Åbenrå Fjernvarme",
        "Søgeløsning",
        "Udvikling",
        &["Søgning", "Test & kvalitet"],
    ),
    (
        "Hvidovre Kommune",
        "Integrationsplatform",
        "Fase 2 – Udvikling",
        &["Integration af løn", "Dokumentation"],
    ),
    (
        "O'Brien & Partners",
        "Kundeportal",
        "Go-live",
        &["Golive-support", "Projektledelse"],
    ),
    (
        "Nordsø Offshore A/S",
        "Vedligeholdelse",
        "Drift",
        &["Projektledelse", "Rejsetid"],
    ),
    (
        "Ærø Bryggeri",
        "\"Humle & Malt\" Webshop",
        "Fase 1 – Analyse",
        &["Regnskab", "Kundemøder"],
    ),
    (
        "Skov-Andersen Tømrer",
        "Byggesager",
        "Løbende",
        &["Tømrerarbejde", "Tilbud"],
    ),
    (
        "Baker's Dozen Ltd",
        "Mobile app",
        "Review",
        &["Code review", "Udvikling"],
    ),
];

const CUSTOMER_NAMES: &[&str] = &[
    "Købmand Hansen",
    "Nørre Vinduer",
    "Østergaard",
    "Sønderborg Varme",
    "Åkande",
    "Bæredygtig Energi",
    "Smith",
    "O'Connor",
    "McDonald's",
    "Fjordland",
    "Nordic Tech",
    "Blue Harbour",
    "Grøn Omstilling",
    "Lykke",
    "Møllers",
    "Rasmussen",
    "Bryggeriet \"Humle\"",
    "Vestjysk",
    "Aarhus",
    "Ålborg Havn",
    "Kæmpe",
    "Lærkevej",
    "Tønder",
    "Greenfield",
    "North-West",
    "Silverline",
    "Cloud & Code",
    "Peter's",
    "Ivory",
    "Windfarm",
    "Ocean",
    "Copenhagen Data",
    "Randers",
    "Jensen & Jensen",
    "Fyns",
    "Sjællandske",
    "Himmerland",
    "Bornholm",
    "Svendborg",
    "Trekanten",
];
const CUSTOMER_SUFFIXES: &[&str] = &[
    "A/S",
    "ApS",
    "& Co",
    "Ltd",
    "Consulting",
    "Kommune",
    "Holding",
    "I/S",
    "Group",
    "Fonden",
];
const REGIONS: &[&str] = &["", "Nord", "Syd", "Øst", "Vest"];
const PROJECT_NAMES: &[&str] = &[
    "Webshop",
    "Data-model",
    "Integrationsplatform",
    "Lagerstyring",
    "Regnskab",
    "Kundeportal",
    "Søgning",
    "Rådgivning",
    "Migration til sky",
    "Support & drift",
    "Mobile app",
    "Datavarehus",
    "Betalingsløsning",
    "Intranet",
    "CRM-udrulning",
    "\"Fremtidens\" IT",
    "Bob's Fix",
];
const PHASE_NAMES: &[&str] = &[
    "Fase 1 – Analyse",
    "Fase 2 – Udvikling",
    "Udvikling",
    "Test",
    "Drift",
    "Implementering",
    "Go-live",
    "Vedligehold",
    "Forundersøgelse",
];
const ACTIVITY_NAMES: &[&str] = &[
    "Udvikling",
    "Møder",
    "Projektledelse",
    "Test & kvalitet",
    "Dokumentation",
    "Code review",
    "Integration",
    "Datamodel",
    "Søgning",
    "Regnskab",
    "Arkitektur",
    "Workshops",
    "Undervisning",
    "Support",
    "Fejlrettelser",
    "Rejsetid",
    "Opsætning",
    "Kundemøder",
    "Læring",
    "Sikkerhed",
];

/// First id of each generated level; the demo's ids are all far below.
const CUSTOMER_IDS: u64 = 1_000_000;
const PROJECT_IDS: u64 = 2_000_000;
const PHASE_IDS: u64 = 3_000_000;
const ACTIVITY_IDS: u64 = 4_000_000;

/// The demo catalogue, `customers` generated customers, and the quality paths.
pub fn generate(customers: usize) -> Generated {
    let mut out = demo();
    let mut rng = Rng(0x5eed_cafe_f00d_1234);
    let mut ids = [CUSTOMER_IDS, PROJECT_IDS, PHASE_IDS, ACTIVITY_IDS];
    for i in 0..customers {
        let name = customer_name(i);
        let customer = push(&mut out.customers, &mut ids[0], 0, name);
        for project in rng.pick(PROJECT_NAMES, 1, 3) {
            let project = push(&mut out.projects, &mut ids[1], customer, project.into());
            for phase in rng.pick(PHASE_NAMES, 1, 3) {
                let phase = push(&mut out.phases, &mut ids[2], project, phase.into());
                for activity in rng.pick(ACTIVITY_NAMES, 2, 5) {
                    push(&mut out.activities, &mut ids[3], phase, activity.into());
                }
            }
        }
    }
    for (customer, project, phase, activities) in QUALITY_PATHS {
        let customer = push(&mut out.customers, &mut ids[0], 0, (*customer).into());
        let project = push(&mut out.projects, &mut ids[1], customer, (*project).into());
        let phase = push(&mut out.phases, &mut ids[2], project, (*phase).into());
        for activity in *activities {
            push(&mut out.activities, &mut ids[3], phase, (*activity).into());
        }
    }
    out
}

/// The `i`th generated customer's name, distinct for the first 2 000.
fn customer_name(i: usize) -> String {
    let base = CUSTOMER_NAMES[i % CUSTOMER_NAMES.len()];
    let combos = CUSTOMER_NAMES.len() * CUSTOMER_SUFFIXES.len();
    let suffix = CUSTOMER_SUFFIXES[(i / CUSTOMER_NAMES.len()) % CUSTOMER_SUFFIXES.len()];
    match REGIONS[(i / combos) % REGIONS.len()] {
        "" => format!("{base} {suffix}"),
        region => format!("{base} {region} {suffix}"),
    }
}

fn push(level: &mut Vec<Entry>, next_id: &mut u64, parent: u64, name: String) -> u64 {
    let id = *next_id;
    *next_id += 1;
    level.push(Entry { id, parent, name });
    id
}

/// The demo catalogue as generated entries.
pub fn demo() -> Generated {
    let entry = |id, parent, name: &str| Entry {
        id,
        parent,
        name: name.into(),
    };
    Generated {
        customers: data::CUSTOMERS
            .iter()
            .map(|c| entry(c.id, 0, c.name))
            .collect(),
        projects: data::PROJECTS
            .iter()
            .map(|p| entry(p.id, p.customer_id, p.name))
            .collect(),
        phases: data::PHASES
            .iter()
            .map(|p| entry(p.id, p.project_id, p.name))
            .collect(),
        activities: data::ACTIVITIES
            .iter()
            .map(|a| entry(a.id, a.phase_id, a.name))
            .collect(),
    }
}

/// xorshift64: tiny, seeded, the same on every platform and crate version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// `min..=max` distinct names from `from`.
    fn pick<'a>(&mut self, from: &[&'a str], min: usize, max: usize) -> Vec<&'a str> {
        let span = u64::try_from(max - min + 1).unwrap_or(1);
        let count = min + usize::try_from(self.next() % span).unwrap_or(0);
        let mut picked: Vec<&str> = Vec::with_capacity(count);
        while picked.len() < count.min(from.len()) {
            let len = u64::try_from(from.len()).unwrap_or(1);
            let name = from[usize::try_from(self.next() % len).unwrap_or(0)];
            if !picked.contains(&name) {
                picked.push(name);
            }
        }
        picked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn a_generated_catalogue_is_large_distinct_and_linked() {
        let generated = generate(300);
        assert_eq!(
            generated.customers.len(),
            data::CUSTOMERS.len() + 300 + QUALITY_PATHS.len()
        );
        let names: HashSet<&str> = generated
            .customers
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(
            names.len(),
            generated.customers.len(),
            "customer names are distinct"
        );
        let walk = generated.lookups_to_walk();
        assert!((1500..4000).contains(&walk), "{walk} lookups");
        let ids = |level: &[Entry]| level.iter().map(|e| e.id).collect::<HashSet<u64>>();
        let (customers, projects, phases) = (
            ids(&generated.customers),
            ids(&generated.projects),
            ids(&generated.phases),
        );
        assert!(
            generated
                .projects
                .iter()
                .all(|p| customers.contains(&p.parent))
        );
        assert!(
            generated
                .phases
                .iter()
                .all(|p| projects.contains(&p.parent))
        );
        assert!(
            generated
                .activities
                .iter()
                .all(|a| phases.contains(&a.parent))
        );
        let text: String = generated
            .customers
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        for tricky in ["'", "-", "\"", "&", "ø", "å", "æ"] {
            assert!(text.contains(tricky), "{tricky}");
        }
        assert_eq!(
            generate(300).activities,
            generated.activities,
            "deterministic"
        );
    }
}
