//! The sample data generator: Panama-like infrastructure procurement, fictional and
//! deterministic (a fixed seed), written by `costwatch generate-fixtures`.
//!
//! Ten public entities whose disclosure ranges from thorough to sparse, about sixty projects
//! with one to three contracting processes each, every stage from planning to completion,
//! amendments, PAB and USD amounts, locations by province, district and corregimiento; plus
//! exact repeats, conflicting repeats and malformed files, so that a run exercises every path.

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

/// The OCDS prefix of the fictional publisher.
const OCID_PREFIX: &str = "ocds-cw7pa1";

/// A small deterministic generator (SplitMix64): the fixtures must not change between runs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

struct Entity {
    code: &'static str,
    name: &'static str,
    ruc: &'static str,
    sector: &'static str,
    /// Probability that an optional field is disclosed.
    completeness: f64,
    street: &'static str,
    email: &'static str,
    currency: &'static str,
    kinds: &'static [&'static str],
}

const ENTITIES: &[Entity] = &[
    Entity {
        code: "MOP",
        name: "Ministerio de Obras Públicas",
        ruc: "8-NT-1-10001",
        sector: "transport.road",
        completeness: 0.95,
        street: "Curundú, edificio 1019",
        email: "transparencia@mop.example.pa",
        currency: "PAB",
        kinds: &["carretera", "puente"],
    },
    Entity {
        code: "MINSA",
        name: "Ministerio de Salud",
        ruc: "8-NT-1-10002",
        sector: "health",
        completeness: 0.8,
        street: "Ancón, avenida Gorgas, edificio 265",
        email: "compras@minsa.example.pa",
        currency: "PAB",
        kinds: &["salud"],
    },
    Entity {
        code: "MEDUCA",
        name: "Ministerio de Educación",
        ruc: "8-NT-1-10003",
        sector: "education",
        completeness: 0.65,
        street: "Cárdenas, Villa de las Fuentes",
        email: "infraestructura@meduca.example.pa",
        currency: "PAB",
        kinds: &["escuela"],
    },
    Entity {
        code: "MIVIOT",
        name: "Ministerio de Vivienda y Ordenamiento Territorial",
        ruc: "8-NT-1-10004",
        sector: "socialHousing",
        completeness: 0.55,
        street: "Avenida Ricardo J. Alfaro",
        email: "contrataciones@miviot.example.pa",
        currency: "USD",
        kinds: &["vivienda"],
    },
    Entity {
        code: "IDAAN",
        name: "Instituto de Acueductos y Alcantarillados Nacionales",
        ruc: "8-NT-1-10005",
        sector: "waterAndWaste",
        completeness: 0.7,
        street: "Vía Brasil, edificio Sede",
        email: "compras@idaan.example.pa",
        currency: "PAB",
        kinds: &["acueducto", "alcantarillado"],
    },
    Entity {
        code: "ETESA",
        name: "Empresa de Transmisión Eléctrica, S.A.",
        ruc: "8-NT-1-10006",
        sector: "energy",
        completeness: 0.85,
        street: "Avenida Ricardo J. Alfaro, Plaza Sun Tower",
        email: "licitaciones@etesa.example.pa",
        currency: "USD",
        kinds: &["transmision"],
    },
    Entity {
        code: "PANDEPORTES",
        name: "Instituto Panameño de Deportes",
        ruc: "8-NT-1-10007",
        sector: "cultureSportsAndRecreation",
        completeness: 0.4,
        street: "Estadio Rommel Fernández",
        email: "",
        currency: "PAB",
        kinds: &["deporte"],
    },
    Entity {
        code: "MUPA",
        name: "Municipio de Panamá",
        ruc: "8-NT-2-20001",
        sector: "transport.urban",
        completeness: 0.6,
        street: "Palacio Municipal, avenida Cuba",
        email: "compras@mupa.example.pa",
        currency: "PAB",
        kinds: &["calles", "parque"],
    },
    Entity {
        code: "MUSM",
        name: "Municipio de San Miguelito",
        ruc: "8-NT-2-20002",
        sector: "transport.urban",
        completeness: 0.3,
        street: "",
        email: "",
        currency: "PAB",
        kinds: &["calles"],
    },
    Entity {
        code: "MUDAVID",
        name: "Municipio de David",
        ruc: "8-NT-2-20003",
        sector: "waterAndWaste",
        completeness: 0.2,
        street: "",
        email: "",
        currency: "PAB",
        kinds: &["mercado", "calles"],
    },
];

/// (province, district, corregimiento, longitude, latitude)
const PLACES: &[(&str, &str, &str, f64, f64)] = &[
    ("Panamá", "Panamá", "Juan Díaz", -79.4667, 9.0333),
    ("Panamá", "Panamá", "Pedregal", -79.4347, 9.0686),
    (
        "Panamá",
        "San Miguelito",
        "Belisario Porras",
        -79.4997,
        9.0639,
    ),
    (
        "Panamá",
        "San Miguelito",
        "Amelia Denis de Icaza",
        -79.5103,
        9.0447,
    ),
    ("Panamá Oeste", "Arraiján", "Vista Alegre", -79.6961, 8.9333),
    (
        "Panamá Oeste",
        "La Chorrera",
        "Barrio Colón",
        -79.7833,
        8.8833,
    ),
    ("Chiriquí", "David", "San Pablo Viejo", -82.4167, 8.4500),
    ("Chiriquí", "Boquete", "Alto Boquete", -82.4333, 8.7667),
    ("Colón", "Colón", "Sabanitas", -79.8000, 9.3333),
    ("Coclé", "Penonomé", "Pajonal", -80.3500, 8.6667),
    ("Veraguas", "Santiago", "Canto del Llano", -80.9667, 8.1000),
    ("Herrera", "Chitré", "Monagrillo", -80.4167, 7.9667),
    ("Los Santos", "Las Tablas", "La Palma", -80.2833, 7.7667),
    (
        "Bocas del Toro",
        "Changuinola",
        "Finca 30",
        -82.5167,
        9.4333,
    ),
    ("Darién", "Chepigana", "Santa Fe", -78.1500, 8.6500),
];

const SUPPLIERS: &[(&str, &str)] = &[
    ("Constructora Istmeña, S.A.", "155600001-2-2015"),
    (
        "Ingeniería y Proyectos del Pacífico, S.A.",
        "155600002-2-2016",
    ),
    ("Consorcio Vial Chiriquí", "155600003-2-2018"),
    ("Hidro Obras de Panamá, S.A.", "155600004-2-2012"),
    ("Supervisiones Técnicas Azuero, S.A.", "155600005-2-2019"),
    ("Diseños y Estructuras Canal, S.A.", "155600006-2-2014"),
    ("Electro Redes del Istmo, S.A.", "155600007-2-2017"),
    ("Consorcio Verde Darién", "155600008-2-2020"),
];

fn title_for(kind: &str, place: &(&str, &str, &str, f64, f64), n: u64) -> (String, String) {
    let (prov, dist, corr, _, _) = place;
    match kind {
        "carretera" => (
            format!("Rehabilitación de la carretera {dist}–{corr}, tramo {n}"),
            format!(
                "Rehabilitación de 12 km de carretera con carpeta asfáltica, cunetas y señalización en el corregimiento de {corr}, distrito de {dist}, provincia de {prov}."
            ),
        ),
        "puente" => (
            format!("Construcción de puente vehicular en {corr}"),
            format!(
                "Puente de concreto de dos carriles y 45 m de luz sobre el río, con accesos, en {corr}, {dist}."
            ),
        ),
        "salud" => (
            format!("Construcción del Centro de Salud de {corr}"),
            format!(
                "Centro de salud de primer nivel con consultorios, laboratorio y farmacia para {corr}, distrito de {dist}."
            ),
        ),
        "escuela" => (
            format!("Ampliación de la Escuela de {corr}"),
            format!(
                "Construcción de 8 aulas, comedor y servicios sanitarios en la escuela de {corr}, {dist}."
            ),
        ),
        "vivienda" => (
            format!("Construcción de 120 viviendas de interés social en {corr}"),
            format!(
                "Viviendas unifamiliares con urbanización, agua potable y electricidad en {corr}, distrito de {dist}, provincia de {prov}."
            ),
        ),
        "acueducto" => (
            format!("Mejoramiento del acueducto de {dist}"),
            format!(
                "Nueva toma de agua, planta potabilizadora de 5 MGD y 18 km de tuberías para {dist}."
            ),
        ),
        "alcantarillado" => (
            format!("Sistema de alcantarillado sanitario de {corr}"),
            format!(
                "Redes colectoras y estación de bombeo para el corregimiento de {corr}, {dist}."
            ),
        ),
        "transmision" => (
            format!("Línea de transmisión 230 kV {dist}–{corr}"),
            format!(
                "Línea de transmisión de doble circuito y ampliación de subestación en {dist}, provincia de {prov}."
            ),
        ),
        "deporte" => (
            format!("Construcción de cancha sintética en {corr}"),
            format!("Cancha de fútbol con grama sintética, iluminación y graderías en {corr}."),
        ),
        "parque" => (
            format!("Rehabilitación del parque de {corr}"),
            format!("Renovación de aceras, juegos infantiles e iluminación del parque de {corr}."),
        ),
        "mercado" => (
            format!("Construcción del nuevo mercado municipal de {dist}"),
            format!(
                "Edificio de mercado con 140 puestos, cuarto frío y estacionamientos en {dist}."
            ),
        ),
        _ => (
            format!("Pavimentación de calles en {corr}"),
            format!(
                "Pavimentación de 3 km de calles internas con drenajes pluviales en {corr}, {dist}."
            ),
        ),
    }
}

fn date(year: i32, day_of_year: u64) -> String {
    let d = chrono::NaiveDate::from_yo_opt(year, 1).unwrap_or_default()
        + chrono::Days::new(day_of_year);
    format!("{}T14:00:00-05:00", d.format("%Y-%m-%d"))
}

fn add_days(start: &str, days: u64) -> String {
    let d = chrono::DateTime::parse_from_rfc3339(start)
        .map(|d| d + chrono::Duration::days(days as i64))
        .unwrap_or_default();
    d.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// Every release of the data set, by entity.
fn releases() -> Vec<(usize, Vec<Value>)> {
    let mut rng = Rng(20_250_630);
    let mut out = Vec::new();
    for (ei, e) in ENTITIES.iter().enumerate() {
        let mut list = Vec::new();
        for pn in 0..6u64 {
            project(&mut rng, e, pn + 1, 3, &mut list);
        }
        out.push((ei, list));
    }
    out
}

/// The releases of project number `n` of entity `e` (one to `max_processes` processes, at most
/// four, each taken as far as the stage the project reached), appended to `list`.
fn project(rng: &mut Rng, e: &Entity, n: u64, max_processes: u64, list: &mut Vec<Value>) {
    let entity_party = |full: bool| {
        let mut p = json!({
            "id": format!("PA-RUC-{}", e.ruc),
            "name": e.name,
            "identifier": {"scheme": "PA-RUC", "id": e.ruc, "legalName": e.name},
            "roles": ["buyer", "procuringEntity"],
        });
        if full {
            if !e.street.is_empty() {
                p["address"] = json!({"streetAddress": e.street, "locality": "Panamá", "region": "Panamá", "countryName": "Panamá"});
            }
            if !e.email.is_empty() {
                p["contactPoint"] = json!({"name": "Oficina de Compras", "email": e.email, "telephone": "+507 500-0000"});
            }
        }
        p
    };
    {
        let place = *rng.pick(PLACES);
        let kind = *rng.pick(e.kinds);
        let (title, description) = title_for(kind, &place, n);
        let has_project = rng.chance(e.completeness + 0.1);
        let project_id = format!("{}-{n:03}", e.code);
        // Stage reached: 0 identification/planning, 1 tender, 2 awarded, 3 contract, 4 completed.
        let stage = rng.below(5);
        let year = 2021 + rng.below(3) as i32;
        let start = rng.below(200);
        let processes = if stage == 0 {
            1
        } else {
            1 + rng.below(max_processes)
        };
        let budget = 250_000 + rng.below(40) * 125_000;
        for k in 0..processes {
            let ocid = format!("{OCID_PREFIX}-{}-{n:03}-{}", e.code, k + 1);
            let role = ["construcción", "diseño", "supervisión", "equipamiento"][k as usize];
            let share = [0.75, 0.10, 0.15, 0.20][k as usize];
            let estimate = (budget as f64 * share).round() as u64;
            let d0 = date(year, start + k * 7);
            let full = rng.chance(e.completeness);
            let mut planning = json!({
                "budget": {
                    "amount": {"amount": estimate, "currency": e.currency},
                },
            });
            if rng.chance(e.completeness) {
                planning["rationale"] = json!(format!(
                    "Atender la demanda de {} en {}, {}.",
                    kind, place.2, place.1
                ));
            }
            if rng.chance(e.completeness) {
                planning["budget"]["budgetBreakdown"] = json!([{
                    "id": "1",
                    "description": "Partida presupuestaria de inversión",
                    "amount": {"amount": estimate, "currency": e.currency},
                    "sourceParty": {"id": "PA-RUC-8-NT-1-10000", "name": "Ministerio de Economía y Finanzas"},
                }]);
            }
            if rng.chance(e.completeness - 0.2) {
                planning["milestones"] = json!([{"id": "aprobacion", "title": "Aprobación presupuestaria", "type": "approval", "status": "met", "dateMet": add_days(&d0, 0)}]);
            }
            let mut docs = Vec::new();
            for (t, name) in [
                ("environmentalImpact", "Estudio de impacto ambiental"),
                ("feasibilityStudy", "Estudio de factibilidad"),
                ("projectScope", "Alcance del proyecto"),
                (
                    "landAndSettlementImpact",
                    "Plan de afectaciones y reasentamiento",
                ),
            ] {
                if rng.chance(e.completeness - 0.15) {
                    docs.push(json!({"id": format!("{t}-{n}"), "documentType": t, "title": name,
                            "url": format!("https://documentos.example.pa/{}/{project_id}/{t}.pdf", e.code.to_lowercase())}));
                }
            }
            if !docs.is_empty() {
                planning["documents"] = Value::Array(docs);
            }
            if has_project {
                let (prov, dist, corr, lon, lat) = place;
                planning["project"] = json!({
                    "id": project_id,
                    "title": title,
                    "description": description,
                    "sector": {"scheme": "oc4idsProjectSector", "id": e.sector},
                    "locations": [{
                        "description": format!("Corregimiento de {corr}, distrito de {dist}, provincia de {prov}"),
                        "geometry": {"type": "Point", "coordinates": [lon, lat]},
                        "address": {"streetAddress": format!("Corregimiento de {corr}"), "locality": dist, "region": prov, "countryName": "Panamá"},
                    }],
                });
            }
            let process_title = format!("{title} — {role}");
            let mut r0 = json!({
                "ocid": ocid, "id": format!("{ocid}-planning"), "date": d0, "tag": ["planning"],
                "initiationType": "tender",
                "parties": [entity_party(full)],
                "buyer": {"id": format!("PA-RUC-{}", e.ruc), "name": e.name},
                "planning": planning,
                "tender": {"id": format!("{ocid}-tender"), "status": "planning",
                           "value": {"amount": estimate, "currency": e.currency}},
            });
            if r0["planning"]["budget"].get("budgetBreakdown").is_some()
                && let Some(a) = r0["parties"].as_array_mut()
            {
                a.push(json!({
                        "id": "PA-RUC-8-NT-1-10000", "name": "Ministerio de Economía y Finanzas",
                        "identifier": {"scheme": "PA-RUC", "id": "8-NT-1-10000"}, "roles": ["funder"]}));
            }
            list.push(r0);
            if stage == 0 {
                continue;
            }
            let d1 = add_days(&d0, 30);
            let method = if k == 0 {
                ("open", "Licitación pública")
            } else if rng.chance(0.5) {
                ("selective", "Licitación por mejor valor")
            } else {
                ("direct", "Contratación directa por excepción")
            };
            let mut tender = json!({
                "id": format!("{ocid}-tender"), "title": process_title, "status": "active",
                "procurementMethod": method.0,
                "procuringEntity": {"id": format!("PA-RUC-{}", e.ruc), "name": e.name},
                "tenderPeriod": {"startDate": d1, "endDate": add_days(&d1, 21)},
                "contractPeriod": {"startDate": add_days(&d1, 60), "durationInDays": 360},
                "mainProcurementCategory": if k == 0 { "works" } else { "services" },
            });
            if rng.chance(e.completeness) {
                tender["procurementMethodDetails"] = json!(method.1);
            }
            if rng.chance(e.completeness) {
                tender["description"] = json!(format!("{description} Componente de {role}."));
            }
            if rng.chance(e.completeness - 0.1) {
                tender["documents"] = json!([{"id": "pliego", "documentType": "biddingDocuments", "title": "Pliego de cargos",
                        "url": format!("https://documentos.example.pa/{}/{ocid}/pliego.pdf", e.code.to_lowercase())}]);
            }
            list.push(
                json!({"ocid": ocid, "id": format!("{ocid}-tender"), "date": d1, "tag": ["tender"],
                    "initiationType": "tender", "tender": tender}),
            );
            if stage == 1 {
                continue;
            }
            let d2 = add_days(&d1, 45);
            let bidders = 1 + rng.below(5) as usize;
            let supplier = *rng.pick(SUPPLIERS);
            let price = (estimate as f64 * (0.88 + rng.below(20) as f64 / 100.0)).round();
            let supplier_id = format!("PA-RUC-{}", supplier.1);
            let contract_start = add_days(&d2, 30);
            let contract_end = add_days(&contract_start, 300 + rng.below(200));
            let mut award_release = json!({"ocid": ocid, "id": format!("{ocid}-award"), "date": d2, "tag": ["award"],
                    "initiationType": "tender",
                    "parties": [{"id": supplier_id, "name": supplier.0, "identifier": {"scheme": "PA-RUC", "id": supplier.1}, "roles": ["supplier", "tenderer"]}],
                    "tender": {"id": format!("{ocid}-tender"), "status": "complete"},
                    "awards": [{"id": format!("{ocid}-award-1"), "status": "active", "date": d2,
                        "title": process_title,
                        "value": {"amount": price, "currency": e.currency},
                        "suppliers": [{"id": supplier_id, "name": supplier.0}],
                        "contractPeriod": {"startDate": contract_start, "endDate": contract_end}}]});
            if rng.chance(e.completeness) {
                award_release["tender"]["numberOfTenderers"] = json!(bidders);
            }
            list.push(award_release);
            if stage == 2 {
                continue;
            }
            let d3 = add_days(&d2, 20);
            let mut contract = json!({"id": format!("{ocid}-contract-1"), "awardID": format!("{ocid}-award-1"),
                    "title": format!("Contrato de {role}: {title}"), "status": "active", "dateSigned": d3,
                    "value": {"amount": price, "currency": e.currency},
                    "period": {"startDate": contract_start, "endDate": contract_end}});
            if rng.chance(e.completeness - 0.1) {
                contract["documents"] = json!([{"id": "contrato", "documentType": "contractSigned", "title": "Contrato firmado",
                        "url": format!("https://documentos.example.pa/{}/{ocid}/contrato.pdf", e.code.to_lowercase())}]);
            }
            list.push(json!({"ocid": ocid, "id": format!("{ocid}-contract"), "date": d3, "tag": ["contract"],
                    "initiationType": "tender", "contracts": [contract]}));
            // Amendments: a price or deadline change, with a reason when the entity discloses well.
            if rng.chance(0.4) {
                let d4 = add_days(&d3, 120);
                let new_price = (price * 1.12).round();
                let new_end = add_days(&contract_end, 90);
                let mut amendment = json!({"id": "adenda-1", "date": d4,
                        "description": "Adenda n.º 1: aumento del monto y extensión del plazo por obras adicionales"});
                if rng.chance(e.completeness) {
                    amendment["rationale"] = json!(
                        "Condiciones del suelo distintas a las previstas en el estudio geotécnico."
                    );
                }
                list.push(json!({"ocid": ocid, "id": format!("{ocid}-amendment-1"), "date": d4, "tag": ["contractAmendment"],
                        "initiationType": "tender",
                        "contracts": [{"id": format!("{ocid}-contract-1"),
                            "value": {"amount": new_price, "currency": e.currency},
                            "period": {"startDate": contract_start, "endDate": new_end},
                            "amendments": [amendment]}]}));
            }
            if stage == 4 {
                let d5 = add_days(&contract_end, 100);
                list.push(json!({"ocid": ocid, "id": format!("{ocid}-termination"), "date": d5, "tag": ["contractTermination"],
                        "initiationType": "tender",
                        "contracts": [{"id": format!("{ocid}-contract-1"), "status": "terminated",
                            "implementation": {"transactions": [{"id": "pago-final", "date": d5,
                                "value": {"amount": price, "currency": e.currency}}]}}]}));
            }
        }
    }
}

/// A contract release of the scaled data set, remembered so that an update can amend it.
struct Signed {
    ocid: String,
    contract: String,
    date: String,
    amount: f64,
    currency: String,
}

/// The scaled data set as one endless, deterministic stream: project 1 of every entity, then
/// project 2 of every entity, and so on (the same mix as the sample fixtures).
struct Stream {
    rng: Rng,
    n: u64,
    entity: usize,
    pending: std::collections::VecDeque<Value>,
}

impl Stream {
    fn new() -> Stream {
        Stream {
            rng: Rng(20_261_130),
            n: 1,
            entity: 0,
            pending: std::collections::VecDeque::new(),
        }
    }
}

impl Iterator for Stream {
    type Item = Value;
    fn next(&mut self) -> Option<Value> {
        while self.pending.is_empty() {
            let mut list = Vec::new();
            // Up to four processes a project, as in PanamaCompra (2.5 on average).
            project(&mut self.rng, &ENTITIES[self.entity], self.n, 4, &mut list);
            let list = publisher_detail(&mut self.rng, list);
            self.pending.extend(list);
            self.entity += 1;
            if self.entity == ENTITIES.len() {
                self.entity = 0;
                self.n += 1;
            }
        }
        self.pending.pop_front()
    }
}

/// Works to tender items, for the detail a national system publishes.
const ITEMS: &[(&str, &str, &str)] = &[
    ("Excavación no clasificada", "m3", "72141003"),
    ("Relleno compactado con material selecto", "m3", "72141003"),
    (
        "Carpeta de hormigón asfáltico caliente de 5 cm",
        "m2",
        "72141100",
    ),
    ("Tubería de hormigón reforzado de 900 mm", "ml", "40142008"),
    ("Cunetas pavimentadas", "ml", "72141100"),
    ("Señalización horizontal y vertical", "gl", "46161500"),
    ("Acero de refuerzo grado 60", "kg", "30102200"),
    ("Hormigón estructural de 4000 psi", "m3", "30111500"),
    ("Bloques de hormigón de 6 pulgadas", "u", "30131500"),
    ("Instalación eléctrica y luminarias", "gl", "39111500"),
    ("Plan de manejo ambiental y seguridad", "gl", "77101500"),
    ("Movilización y desmovilización", "gl", "72141000"),
];

/// The scaled data set carries the detail a national system publishes beside the sample
/// fixtures' essentials: tender and award items, clarifications while the tender is open, and
/// payments after signature. With it a release weighs about what PanamaCompra's do and a
/// process has about as many releases.
fn publisher_detail(rng: &mut Rng, list: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::with_capacity(list.len() * 2);
    for mut release in list {
        let tag = release["tag"][0].as_str().unwrap_or_default().to_string();
        let ocid = release["ocid"].as_str().unwrap_or_default().to_string();
        let date = release["date"].as_str().unwrap_or_default().to_string();
        let doc_url = |name: &str| format!("https://documentos.example.pa/{ocid}/{name}.pdf");
        match tag.as_str() {
            "tender" => {
                let currency = "PAB";
                let items: Vec<Value> = (0..6 + rng.below(9))
                    .map(|i| {
                        let (description, unit, code) = *rng.pick(ITEMS);
                        json!({"id": format!("{}", i + 1),
                            "description": format!("{description}, según planos y especificaciones técnicas del pliego"),
                            "classification": {"scheme": "UNSPSC", "id": code, "description": description},
                            "quantity": 10 + rng.below(5000),
                            "unit": {"name": unit, "value": {"amount": 5 + rng.below(400), "currency": currency}}})
                    })
                    .collect();
                release["tender"]["items"] = Value::Array(items);
                let tender_id = release["tender"]["id"].clone();
                out.push(release);
                for k in 0..rng.below(3) {
                    let d = add_days(&date, 5 * (k + 1));
                    out.push(json!({"ocid": ocid, "id": format!("{ocid}-aclaracion-{}", k + 1),
                        "date": d, "tag": ["tenderUpdate"], "initiationType": "tender",
                        "tender": {"id": tender_id, "documents": [{"id": format!("aclaracion-{}", k + 1),
                            "documentType": "clarifications", "title": format!("Aclaración n.º {} al pliego de cargos", k + 1),
                            "description": "Respuesta a las consultas de los proponentes sobre cantidades y plazos.",
                            "url": doc_url(&format!("aclaracion-{}", k + 1)), "datePublished": d, "format": "application/pdf", "language": "es"}]}}));
                }
            }
            "award" => {
                // The awarded lines, priced; and the buyer, as every PanamaCompra release names it.
                let items: Vec<Value> = (0..6 + rng.below(9))
                    .map(|i| {
                        let (description, unit, code) = *rng.pick(ITEMS);
                        json!({"id": format!("{}", i + 1), "description": description,
                            "classification": {"scheme": "UNSPSC", "id": code, "description": description},
                            "quantity": 10 + rng.below(5000),
                            "unit": {"name": unit, "value": {"amount": 5 + rng.below(400), "currency": "PAB"}}})
                    })
                    .collect();
                release["awards"][0]["items"] = Value::Array(items);
                release["awards"][0]["documents"] = json!([{"id": "resolucion", "documentType": "awardNotice",
                    "title": "Resolución de adjudicación", "url": doc_url("resolucion"), "datePublished": date,
                    "format": "application/pdf", "language": "es"},
                    {"id": "informe-comision", "documentType": "evaluationReports",
                    "title": "Informe de la comisión evaluadora", "url": doc_url("informe-comision"),
                    "datePublished": date, "format": "application/pdf", "language": "es"}]);
                out.push(release);
            }
            "contract" => {
                let contract = release["contracts"][0].clone();
                out.push(release);
                let amount = contract["value"]["amount"].as_f64().unwrap_or_default();
                let currency = contract["value"]["currency"].clone();
                let start = contract["period"]["startDate"]
                    .as_str()
                    .unwrap_or(&date)
                    .to_string();
                let payments = 2 + rng.below(5);
                let mut transactions = Vec::new();
                for k in 0..payments {
                    let d = add_days(&start, 45 * (k + 1));
                    transactions.push(json!({"id": format!("pago-{}", k + 1), "source": "https://www.mef.gob.pa/",
                        "date": d, "value": {"amount": (amount / (payments + 1) as f64).round(), "currency": currency},
                        "payer": {"id": "PA-RUC-8-NT-1-10000", "name": "Ministerio de Economía y Finanzas"},
                        "uri": doc_url(&format!("pago-{}", k + 1))}));
                    out.push(json!({"ocid": ocid, "id": format!("{ocid}-pago-{}", k + 1), "date": d,
                        "tag": ["implementation"], "initiationType": "tender",
                        "contracts": [{"id": contract["id"], "implementation": {"transactions": transactions,
                            "documents": [{"id": format!("informe-{}", k + 1), "documentType": "physicalProgressReport",
                                "title": format!("Informe de avance físico n.º {}", k + 1),
                                "url": doc_url(&format!("informe-{}", k + 1)), "datePublished": d}]}}]}));
                }
            }
            _ => out.push(release),
        }
    }
    out
}

/// What `write_scaled` wrote.
pub struct Scaled {
    /// Releases in `releases.jsonl`.
    pub releases: u64,
    /// Releases in `update.jsonl` (0 without an update).
    pub update: u64,
}

/// Writes `releases.jsonl` with exactly `count` releases of the scaled data set (JSON lines)
/// and, when `update_percent` is given, `update.jsonl`: that share of `count` again, half new
/// releases (the processes and projects that come next) and half amendments of contracts
/// already in `releases.jsonl`.
pub fn write_scaled(
    dir: &Path,
    count: u64,
    update_percent: Option<f64>,
) -> std::io::Result<Scaled> {
    std::fs::create_dir_all(dir)?;
    let mut stream = Stream::new();
    let mut signed = Vec::new();
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("releases.jsonl"))?);
    for release in stream.by_ref().take(count as usize) {
        if release["tag"][0] == "contract"
            && let Some(c) = release["contracts"].get(0)
        {
            signed.push(Signed {
                ocid: release["ocid"].as_str().unwrap_or_default().to_string(),
                contract: c["id"].as_str().unwrap_or_default().to_string(),
                date: release["date"].as_str().unwrap_or_default().to_string(),
                amount: c["value"]["amount"].as_f64().unwrap_or_default(),
                currency: c["value"]["currency"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            });
        }
        serde_json::to_writer(&mut out, &release)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    let Some(percent) = update_percent else {
        return Ok(Scaled {
            releases: count,
            update: 0,
        });
    };
    let total = (count as f64 * percent / 100.0).ceil() as u64;
    let amendments = (total / 2).min(signed.len() as u64);
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("update.jsonl"))?);
    for release in stream.take((total - amendments) as usize) {
        serde_json::to_writer(&mut out, &release)?;
        out.write_all(b"\n")?;
    }
    for i in 0..amendments {
        // Spread over the whole file, so that the amended processes belong to many projects.
        let s = &signed[(i * signed.len() as u64 / amendments.max(1)) as usize];
        let date = add_days(&s.date, 200);
        let release = json!({"ocid": s.ocid, "id": format!("{}-amendment-update", s.ocid),
            "date": date, "tag": ["contractAmendment"], "initiationType": "tender",
            "contracts": [{"id": s.contract,
                "value": {"amount": (s.amount * 1.05).round(), "currency": s.currency},
                "amendments": [{"id": "adenda-actualizacion", "date": date,
                    "description": "Adenda: ajuste de precios por variación de costos",
                    "rationale": "Variación del precio del acero y del asfalto."}]}]});
        serde_json::to_writer(&mut out, &release)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(Scaled {
        releases: count,
        update: total,
    })
}

fn package(releases: &[Value], published: &str) -> Value {
    json!({
        "uri": "https://datos.example.pa/ocds/paquete.json",
        "version": "1.1",
        "publishedDate": published,
        "publisher": {"name": "Publicador ficticio de costwatch"},
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "releases": releases,
    })
}

/// Writes every fixture file into `dir` (created if needed).
pub fn write_all(dir: &Path) -> std::io::Result<()> {
    let ocds = dir.join("ocds");
    let bad = dir.join("malformed");
    std::fs::create_dir_all(&ocds)?;
    std::fs::create_dir_all(&bad)?;
    let published = "2025-06-30T08:00:00-05:00";
    let by_entity = releases();
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    for (ei, list) in &by_entity {
        let e = &ENTITIES[*ei];
        let slug = e.code.to_lowercase();
        match e.code {
            // A record package: releases embedded in records, one per ocid.
            "ETESA" => {
                let mut ocids: Vec<&str> = list.iter().filter_map(|r| r["ocid"].as_str()).collect();
                ocids.dedup();
                let records: Vec<Value> = ocids
                    .iter()
                    .map(|o| json!({"ocid": o, "releases": list.iter().filter(|r| r["ocid"] == *o).cloned().collect::<Vec<_>>()}))
                    .collect();
                let pkg = json!({"uri": "https://datos.example.pa/ocds/registros.json", "version": "1.1",
                    "publishedDate": published, "publisher": {"name": "Publicador ficticio de costwatch"},
                    "records": records});
                std::fs::write(ocds.join(format!("{slug}-registros.json")), pretty(&pkg))?;
            }
            // Gzip without a .gz name: the reader must tell from the content.
            "MUDAVID" => {
                let mut enc = flate2::GzBuilder::new()
                    .mtime(0)
                    .write(Vec::new(), flate2::Compression::default());
                enc.write_all(pretty(&package(list, published)).as_bytes())?;
                std::fs::write(ocds.join(format!("{slug}.json")), enc.finish()?)?;
            }
            // JSON lines: one release per line.
            "MUSM" => {
                let text: String = list.iter().map(|r| format!("{r}\n")).collect();
                std::fs::write(ocds.join(format!("{slug}.jsonl")), text)?;
            }
            _ => std::fs::write(
                ocds.join(format!("{slug}.json")),
                pretty(&package(list, published)),
            )?,
        }
    }
    // Exact repeats (the same releases published again) and a conflicting repeat (a release
    // corrected in place, same id, different content).
    let mop = &by_entity[0].1;
    let repeats: Vec<Value> = mop.iter().take(3).cloned().collect();
    std::fs::write(
        ocds.join("mop-repetidos.json"),
        pretty(&package(&repeats, published)),
    )?;
    let mut corrected: Vec<Value> = by_entity[1]
        .1
        .iter()
        .filter(|r| r["tag"][0] == "tender")
        .take(2)
        .cloned()
        .collect();
    for r in &mut corrected {
        if let Some(t) = r["tender"]["title"].as_str() {
            r["tender"]["title"] = json!(format!("{t} (corregido)"));
        }
    }
    std::fs::write(
        ocds.join("minsa-correcciones.json"),
        pretty(&package(&corrected, published)),
    )?;
    // Malformed inputs: each must be quarantined with its reason while the run goes on.
    let full = pretty(&package(&by_entity[2].1[..2], published));
    std::fs::write(bad.join("truncado.json"), &full[..full.len() / 2])?;
    std::fs::write(
        bad.join("no-es-ocds.json"),
        "{\n  \"proyecto\": \"Cinta Costera\",\n  \"monto\": 1000\n}\n",
    )?;
    let good = &by_entity[3].1[0];
    std::fs::write(
        bad.join("lineas-mixtas.jsonl"),
        format!("{good}\n{{\"ocid\": \"{OCID_PREFIX}-X-1\", \"id\": \n42\n"),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_projects_over_ten_entities() {
        let all = releases();
        assert_eq!(all.len(), 10);
        let mut ocids: Vec<String> = all
            .iter()
            .flat_map(|(_, l)| {
                l.iter()
                    .filter_map(|r| r["ocid"].as_str().map(str::to_string))
            })
            .collect();
        ocids.sort();
        ocids.dedup();
        assert!(ocids.len() >= 60, "{}", ocids.len());
    }
}
