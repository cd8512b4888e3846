"""Static reference data for the Nordhaven demo generator (names, places, phones, catalog vocab).

Everything here is hand-written and small; no Faker. Lists are tuples so their order is fixed.
"""

from __future__ import annotations

COUNTRIES = ("NL", "DE", "PL", "DK", "GB", "US")
COUNTRY_WEIGHTS = (0.34, 0.24, 0.11, 0.08, 0.13, 0.10)

COUNTRY_NAME = {
    "NL": "Netherlands",
    "DE": "Germany",
    "PL": "Poland",
    "DK": "Denmark",
    "GB": "United Kingdom",
    "US": "United States",
}
CURRENCY = {"NL": "EUR", "DE": "EUR", "PL": "PLN", "DK": "DKK", "GB": "GBP", "US": "USD"}
# EUR -> X, fixed
FX = {"EUR": 1.0, "PLN": 4.3, "DKK": 7.46, "GBP": 0.85, "USD": 1.08}
LANGUAGE = {"NL": "nl", "DE": "de", "PL": "pl", "DK": "da", "GB": "en", "US": "en"}
LOCALE = {"NL": "nl-NL", "DE": "de-DE", "PL": "pl-PL", "DK": "da-DK", "GB": "en-GB", "US": "en-US"}
# VAT included in shelf prices (EU, GB); US sales tax added on top
VAT = {"NL": 0.21, "DE": 0.19, "PL": 0.23, "DK": 0.25, "GB": 0.20, "US": 0.0}
US_SALES_TAX = 0.07
DIAL = {"NL": "31", "DE": "49", "PL": "48", "DK": "45", "GB": "44", "US": "1"}
# approximate standard UTC offset in hours, used only to place online activity in local daytime
STD_OFFSET_H = {"NL": 1, "DE": 1, "PL": 1, "DK": 1, "GB": 0, "US": -5}

FIRST_F = {
    "NL": ("Emma", "Sophie", "Julia", "Anna", "Lisa", "Sanne", "Fleur", "Lotte", "Eva", "Noor", "Anouk",
           "Femke", "Iris", "Maud", "Sara", "Lieke", "Marloes", "Ingrid", "Petra", "Esther"),
    "DE": ("Anna", "Lena", "Lea", "Hannah", "Laura", "Julia", "Sarah", "Katharina", "Sabine", "Petra",
           "Claudia", "Monika", "Jana", "Lisa", "Marie", "Johanna", "Sophie", "Ursula", "Birgit", "Nina"),
    "PL": ("Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Magdalena", "Joanna",
           "Aleksandra", "Zofia", "Natalia", "Julia", "Monika", "Karolina", "Marta", "Dorota", "Paulina",
           "Justyna", "Beata"),
    "DK": ("Anne", "Mette", "Kirsten", "Hanne", "Anna", "Helle", "Susanne", "Lene", "Maria", "Marianne",
           "Camilla", "Louise", "Ida", "Emma", "Freja", "Sofie", "Karen", "Line", "Julie", "Signe"),
    "GB": ("Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Lucy", "Charlotte", "Jessica",
           "Sarah", "Emma", "Rebecca", "Hannah", "Laura", "Claire", "Rachel", "Helen", "Victoria", "Chloe"),
    "US": ("Mary", "Jennifer", "Linda", "Patricia", "Elizabeth", "Susan", "Jessica", "Sarah", "Karen", "Emily",
           "Ashley", "Madison", "Olivia", "Emma", "Abigail", "Megan", "Lauren", "Rachel", "Nicole", "Amanda"),
}
FIRST_M = {
    "NL": ("Daan", "Sem", "Lucas", "Jesse", "Thijs", "Bram", "Lars", "Ruben", "Tim", "Jeroen", "Pieter", "Bas",
           "Niels", "Koen", "Sander", "Joost", "Wouter", "Maarten", "Erik", "Hans"),
    "DE": ("Lukas", "Leon", "Jonas", "Felix", "Maximilian", "Paul", "Tobias", "Stefan", "Michael", "Andreas",
           "Thomas", "Jürgen", "Klaus", "Matthias", "Florian", "Sebastian", "Jan", "Niklas", "Uwe", "Dieter"),
    "PL": ("Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Michał", "Marcin", "Jakub", "Adam", "Łukasz",
           "Kamil", "Mateusz", "Grzegorz", "Marek", "Wojciech", "Szymon", "Bartosz", "Dawid", "Rafał", "Jan"),
    "DK": ("Peter", "Jens", "Lars", "Michael", "Henrik", "Søren", "Thomas", "Jan", "Niels", "Rasmus", "Mads",
           "Anders", "Christian", "Martin", "Frederik", "Mikkel", "Jesper", "Morten", "Kasper", "Emil"),
    "GB": ("Oliver", "George", "Harry", "Jack", "Jacob", "Charlie", "Thomas", "James", "William", "Daniel",
           "Matthew", "David", "Andrew", "Richard", "Mark", "Paul", "Simon", "Christopher", "Benjamin", "Samuel"),
    "US": ("James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas",
           "Christopher", "Daniel", "Matthew", "Anthony", "Joshua", "Andrew", "Ryan", "Tyler", "Brandon",
           "Kevin", "Jason"),
}
LAST = {
    "NL": ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit",
           "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen",
           "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "Kok", "Jacobs",
           "van der Linden", "Vermeulen", "Willems"),
    "DE": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
           "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz",
           "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause",
           "Meier", "Lehmann"),
    "PL": ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
           "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur", "Kwiatkowski", "Krawczyk",
           "Piotrowski", "Grabowski", "Nowakowski", "Pawłowski", "Michalski", "Król", "Wieczorek",
           "Jabłoński", "Wróbel", "Majewski", "Olszewski", "Stępień", "Malinowski", "Jaworski"),
    "DK": ("Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
           "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Christiansen",
           "Poulsen", "Johansen", "Møller", "Mortensen", "Knudsen", "Jakobsen", "Jacobsen", "Mikkelsen",
           "Olesen", "Frederiksen", "Laursen", "Henriksen", "Lund", "Holm"),
    "GB": ("Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
           "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
           "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill"),
    "US": ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
           "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
           "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez",
           "Lewis", "Robinson"),
}

# (city, zip kind, zip range or outward codes, landline area code)
CITIES = {
    "NL": (("Amsterdam", (1011, 1109), "20"), ("Rotterdam", (3011, 3089), "10"), ("Utrecht", (3511, 3585), "30"),
           ("Den Haag", (2491, 2597), "70"), ("Eindhoven", (5611, 5658), "40"), ("Groningen", (9711, 9747), "50"),
           ("Haarlem", (2011, 2037), "23"), ("Nijmegen", (6511, 6546), "24")),
    "DE": (("Berlin", (10115, 14199), "30"), ("Hamburg", (20095, 22769), "40"), ("München", (80331, 81929), "89"),
           ("Köln", (50667, 51149), "221"), ("Frankfurt am Main", (60306, 60599), "69"),
           ("Stuttgart", (70173, 70629), "711"), ("Leipzig", (4103, 4357), "341"),
           ("Düsseldorf", (40210, 40629), "211")),
    "PL": (("Warszawa", (0, 4999), "22"), ("Kraków", (30001, 31999), "12"), ("Łódź", (90001, 94999), "42"),
           ("Wrocław", (50001, 54999), "71"), ("Poznań", (60001, 61999), "61"), ("Gdańsk", (80001, 80999), "58")),
    "DK": (("København", (1050, 2450), ""), ("Aarhus", (8000, 8270), ""), ("Odense", (5000, 5270), ""),
           ("Aalborg", (9000, 9220), "")),
    "GB": (("London", ("SW1A", "EC1A", "N1", "E2", "SE1", "NW3", "W2"), "20"),
           ("Manchester", ("M1", "M4", "M20", "M14"), "161"), ("Birmingham", ("B1", "B5", "B15"), "121"),
           ("Leeds", ("LS1", "LS6", "LS11"), "113"), ("Glasgow", ("G1", "G3", "G12"), "141"),
           ("Bristol", ("BS1", "BS6", "BS8"), "117")),
    "US": (("New York", (10001, 10282), "212"), ("Chicago", (60601, 60661), "312"),
           ("San Francisco", (94102, 94134), "415"), ("Boston", (2108, 2137), "617"),
           ("Seattle", (98101, 98199), "206"), ("Austin", (78701, 78759), "512")),
}
CITY_WEIGHTS = {
    "NL": (0.3, 0.18, 0.14, 0.12, 0.08, 0.07, 0.06, 0.05),
    "DE": (0.25, 0.18, 0.16, 0.12, 0.1, 0.08, 0.06, 0.05),
    "PL": (0.35, 0.2, 0.12, 0.12, 0.11, 0.1),
    "DK": (0.5, 0.25, 0.15, 0.1),
    "GB": (0.45, 0.15, 0.12, 0.1, 0.1, 0.08),
    "US": (0.3, 0.2, 0.15, 0.12, 0.13, 0.1),
}
STREETS = {
    "NL": ("Kerkstraat", "Dorpsstraat", "Schoolstraat", "Molenweg", "Hoofdstraat", "Stationsweg",
           "Julianastraat", "Wilhelminastraat", "Prinsengracht", "Lindelaan"),
    "DE": ("Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schulstraße", "Dorfstraße", "Bergstraße",
           "Lindenstraße", "Kirchstraße", "Waldstraße", "Goethestraße"),
    "PL": ("ul. Polna", "ul. Leśna", "ul. Słoneczna", "ul. Krótka", "ul. Szkolna", "ul. Ogrodowa", "ul. Lipowa",
           "ul. Łąkowa", "ul. Kwiatowa", "ul. Mickiewicza"),
    "DK": ("Vestergade", "Østergade", "Nørregade", "Søndergade", "Skolevej", "Kirkevej", "Strandvejen",
           "Bakkevej", "Møllevej", "Engvej"),
    "GB": ("High Street", "Station Road", "Church Lane", "Victoria Road", "Park Road", "Green Lane",
           "Manor Road", "Mill Lane", "Kings Road", "Queens Road"),
    "US": ("Main St", "Oak Ave", "Maple St", "Cedar Ln", "Elm St", "Washington Ave", "Park Ave", "Lake St",
           "Pine St", "Hill Rd"),
}
STREET_NUMBER_FIRST = {"GB", "US"}

# given name -> the short form people type when they fill in a form themselves (fuzzy_duplicate nickname)
NICKNAMES = {
    "Katarzyna": "Kasia", "Małgorzata": "Gosia", "Agnieszka": "Aga", "Magdalena": "Magda", "Joanna": "Asia",
    "Aleksandra": "Ola", "Natalia": "Nata", "Karolina": "Karo", "Krzysztof": "Krzysiek", "Andrzej": "Andrzejek",
    "Tomasz": "Tomek", "Paweł": "Pawełek", "Michał": "Michałek", "Jakub": "Kuba", "Łukasz": "Łukas",
    "Mateusz": "Mati", "Grzegorz": "Grzesiek", "Wojciech": "Wojtek", "Bartosz": "Bartek", "Piotr": "Piotrek",
    "Katharina": "Kathi", "Johanna": "Hanna", "Maximilian": "Max", "Tobias": "Tobi", "Michael": "Micha",
    "Andreas": "Andi", "Matthias": "Matze", "Sebastian": "Basti", "Florian": "Flo", "Niklas": "Nik",
    "Stefan": "Steff", "Christian": "Chris", "Frederik": "Frede", "Rasmus": "Rasse", "Susanne": "Sanne",
    "Marianne": "Janne", "Kirsten": "Kiki", "Pieter": "Piet", "Maarten": "Maart", "Jeroen": "Jer",
    "Wouter": "Wout", "Sander": "San", "Marloes": "Loes", "Johannes": "Hans", "Elizabeth": "Liz",
    "Jennifer": "Jenny", "Patricia": "Patty", "Jessica": "Jess", "Abigail": "Abby", "Rebecca": "Becky",
    "Victoria": "Vicky", "Charlotte": "Lottie", "Amanda": "Mandy", "Nicole": "Nikki", "Olivia": "Liv",
    "William": "Bill", "Robert": "Bob", "Richard": "Rick", "Joseph": "Joe", "Thomas": "Tom",
    "Christopher": "Chris", "Daniel": "Dan", "Matthew": "Matt", "Anthony": "Tony", "Joshua": "Josh",
    "Andrew": "Andy", "James": "Jim", "Benjamin": "Ben", "Samuel": "Sam", "Jacob": "Jake", "David": "Dave",
    "Charlie": "Charles", "Harry": "Harold", "Oliver": "Ollie", "Emily": "Em", "Samantha": "Sam",
}

EMAIL_DOMAINS = {
    "NL": (("gmail.com", 35), ("hotmail.com", 15), ("outlook.com", 10), ("ziggo.nl", 10), ("kpnmail.nl", 8),
           ("live.nl", 7), ("icloud.com", 8), ("xs4all.nl", 7)),
    "DE": (("gmail.com", 30), ("web.de", 20), ("gmx.de", 18), ("gmx.net", 8), ("t-online.de", 12),
           ("outlook.de", 6), ("yahoo.de", 6)),
    "PL": (("gmail.com", 40), ("wp.pl", 20), ("onet.pl", 18), ("o2.pl", 12), ("interia.pl", 10)),
    "DK": (("gmail.com", 40), ("hotmail.com", 18), ("live.dk", 12), ("outlook.dk", 10), ("mail.dk", 10),
           ("yahoo.dk", 10)),
    "GB": (("gmail.com", 35), ("hotmail.co.uk", 18), ("yahoo.co.uk", 14), ("outlook.com", 12),
           ("btinternet.com", 10), ("icloud.com", 11)),
    "US": (("gmail.com", 40), ("yahoo.com", 18), ("hotmail.com", 10), ("outlook.com", 12), ("icloud.com", 14),
           ("aol.com", 6)),
}
COMPANY_SUFFIX = {"NL": "B.V.", "DE": "GmbH", "PL": "Sp. z o.o.", "DK": "ApS", "GB": "Ltd", "US": "Inc."}
COMPANY_TLD = {"NL": "nl", "DE": "de", "PL": "pl", "DK": "dk", "GB": "co.uk", "US": "com"}
COMPANY_WORDS = ("Noord", "Polar", "Harbor", "Granite", "Meridian", "Atlas", "Beacon", "Cobalt", "Evergreen",
                 "Summit", "Lumen", "Vertex", "Keystone", "Riverside", "Northwind", "Brightline")
COMPANY_KINDS = ("Consulting", "Logistics", "Design", "Interiors", "Hospitality", "Events", "Media", "Trading")

TRANSLIT = str.maketrans({
    "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ø": "oe", "å": "aa", "æ": "ae", "é": "e", "è": "e",
    "ó": "o", "ą": "a", "ę": "e", "ł": "l", "ś": "s", "ż": "z", "ź": "z", "ć": "c", "ń": "n",
    "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "Ø": "Oe", "Å": "Aa", "Æ": "Ae", "Ł": "L", "Ś": "S", "Ż": "Z",
})

# --- phones -------------------------------------------------------------------------------------
MOBILE_PREFIX = {
    "NL": ("6",),
    "DE": ("151", "152", "157", "160", "162", "170", "171", "172", "176", "177", "178", "179"),
    "PL": ("50", "51", "53", "57", "60", "66", "69", "72", "78", "79", "88"),
    "DK": ("20", "21", "22", "24", "26", "28", "29", "30", "31", "40", "42", "50", "51", "60", "61", "71"),
    "GB": ("74", "75", "77", "78", "79"),
    "US": ("",),
}
# total national significant number length
NSN_LEN = {"NL": 9, "DE": 11, "PL": 9, "DK": 8, "GB": 10, "US": 10}

# --- stores -------------------------------------------------------------------------------------
# store_id, name, country, city, timezone
STORES = (
    ("NH-AMS-01", "Nordhaven Amsterdam Kalverstraat", "NL", "Amsterdam", "Europe/Amsterdam"),
    ("NH-RTM-01", "Nordhaven Rotterdam Lijnbaan", "NL", "Rotterdam", "Europe/Amsterdam"),
    ("NH-UTR-01", "Nordhaven Utrecht Oudegracht", "NL", "Utrecht", "Europe/Amsterdam"),
    ("NH-BER-01", "Nordhaven Berlin Mitte", "DE", "Berlin", "Europe/Berlin"),
    ("NH-HAM-01", "Nordhaven Hamburg Mönckebergstraße", "DE", "Hamburg", "Europe/Berlin"),
    ("NH-MUC-01", "Nordhaven München Kaufingerstraße", "DE", "München", "Europe/Berlin"),
    ("NH-WAW-01", "Nordhaven Warszawa Złote Tarasy", "PL", "Warszawa", "Europe/Warsaw"),
    ("NH-KRK-01", "Nordhaven Kraków Galeria", "PL", "Kraków", "Europe/Warsaw"),
    ("NH-CPH-01", "Nordhaven København Strøget", "DK", "København", "Europe/Copenhagen"),
    ("NH-AAR-01", "Nordhaven Aarhus Strøget", "DK", "Aarhus", "Europe/Copenhagen"),
    ("NH-LON-01", "Nordhaven London Covent Garden", "GB", "London", "Europe/London"),
    ("NH-MAN-01", "Nordhaven Manchester Arndale", "GB", "Manchester", "Europe/London"),
    ("NH-NYC-01", "Nordhaven New York SoHo", "US", "New York", "America/New_York"),
    ("NH-CHI-01", "Nordhaven Chicago Magnificent Mile", "US", "Chicago", "America/Chicago"),
)

# --- catalog ------------------------------------------------------------------------------------
# category: (sku code, number of products, min EUR, max EUR)
CATEGORIES = {
    "outerwear": ("OUT", 50, 89, 349),
    "knitwear": ("KNT", 55, 49, 189),
    "footwear": ("FTW", 50, 59, 229),
    "accessories": ("ACC", 60, 10, 89),
    "home": ("HOM", 50, 15, 149),
    "kids": ("KID", 35, 15, 89),
}
BRANDS = {
    "outerwear": ("Nordhaven", "Fjellvik", "Skagen Trail", "Isvik"),
    "knitwear": ("Nordhaven", "Larsen Knit", "Isvik"),
    "footwear": ("Nordhaven", "Fjellvik", "Baltic Step"),
    "accessories": ("Nordhaven", "Skagen Trail", "Oakmoss", "Larsen Knit"),
    "home": ("Nordhaven", "Hygge & Co", "Oakmoss"),
    "kids": ("Nordhaven", "Little Nord"),
}
ALL_BRANDS = ("Nordhaven", "Fjellvik", "Skagen Trail", "Isvik", "Larsen Knit", "Baltic Step", "Oakmoss",
              "Hygge & Co", "Little Nord")
PRODUCT_ADJ = ("Fjord", "Harbour", "Nordic", "Coastal", "Storm", "Alpine", "Heather", "Birch", "Tundra",
               "Island", "Polar", "Dune", "Moss", "Glacier", "Pine", "Driftwood")
PRODUCT_NOUN = {
    "outerwear": ("Parka", "Rain Jacket", "Down Jacket", "Wool Coat", "Windbreaker", "Gilet", "Trench Coat",
                  "Puffer Vest"),
    "knitwear": ("Cable Sweater", "Cardigan", "Turtleneck", "Merino Crew", "Fisherman Sweater", "Knit Vest",
                 "Zip Hoodie"),
    "footwear": ("Chelsea Boot", "Hiking Boot", "Leather Sneaker", "Rain Boot", "Loafer", "Wool Slipper",
                 "Trail Runner"),
    "accessories": ("Beanie", "Scarf", "Gloves", "Wool Socks", "Tote Bag", "Backpack", "Leather Belt", "Cap"),
    "home": ("Throw Blanket", "Candle", "Ceramic Mug", "Linen Napkins", "Cushion Cover", "Wool Rug",
             "Serving Board"),
    "kids": ("Kids Rain Jacket", "Kids Beanie", "Baby Cardigan", "Kids Boots", "Kids Mittens", "Kids Snowsuit"),
}
COLORS = ("Navy", "Charcoal", "Oat", "Forest", "Rust", "Sand", "Black", "Ecru", "Slate", "Olive")
# month (1..12) -> relative demand; Nov/Dec peak, January and July sales
MONTH_WEIGHT = (0.95, 0.7, 0.8, 0.85, 0.9, 1.0, 1.25, 0.9, 0.9, 1.0, 1.6, 1.85)
# categories that sell more in the cold months
COLD_CATEGORIES = ("outerwear", "knitwear")

# local hour-of-day weights for online activity
ONLINE_HOUR_WEIGHTS = (0.3, 0.15, 0.08, 0.05, 0.05, 0.1, 0.3, 0.6, 0.8, 0.9, 1.0, 1.0, 1.2, 1.1, 1.0, 1.0,
                       1.0, 1.1, 1.3, 1.6, 1.8, 1.7, 1.2, 0.7)
STORE_HOUR_WEIGHTS = {h: w for h, w in zip(range(9, 21), (0.4, 0.7, 0.9, 1.2, 1.2, 1.1, 1.1, 1.3, 1.5, 1.3,
                                                           0.9, 0.5), strict=False)}

USER_AGENTS = {
    "desktop": (
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/124.0.0.0 Safari/537.36"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.4 Safari/605.1.15"),
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80"),
    ),
    "mobile": (
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.4 Mobile/15E148 Safari/604.1"),
        ("Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/124.0.0.0 Mobile Safari/537.36"),
        ("Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/123.0.0.0 Mobile Safari/537.36"),
    ),
    "tablet": (
        ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.4 Mobile/15E148 Safari/604.1"),
    ),
    "ios": (
        "Nordhaven/4.12.0 (iPhone; iOS 17.4.1; Scale/3.00)",
        "Nordhaven/4.11.2 (iPhone; iOS 16.7; Scale/3.00)",
    ),
    "android": (
        "Nordhaven/4.12.0 (Linux; Android 14; Pixel 8)",
        "Nordhaven/4.11.2 (Linux; Android 13; SM-A546B)",
    ),
    "kiosk": (
        ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/122.0.0.0 Safari/537.36 NordhavenKiosk/2.1"),
    ),
    "public": (
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0.0.0 Safari/537.36"),
    ),
}

JUNK_EMAILS = ("test@test.com", "n/a", "null", "noreply@shop.example", "-", "")
JUNK_PHONES = ("000000", "n/a", "null", "-", "", "0000000000")

SUPPORT_SUBJECTS = {
    "where_is_order": "Where is my order #{order}?",
    "return": "Return request for order #{order}",
    "damaged": "Item arrived damaged (order #{order})",
    "size": "Exchange for a different size",
    "loyalty": "Loyalty points missing from my card",
    "account": "Can't log in to my account",
    "product": "Question about {product}",
    "invoice": "Need a VAT invoice for my company",
}
