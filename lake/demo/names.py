"""Name pools for the demo roster: given and family names from several cultures, with accents.

Names are picked per student from one culture so that a roster reads plausibly; a few family names
carry a generational suffix after a comma ("King, Jr."), which forces CSV quoting.
"""

from __future__ import annotations

# culture -> (female given names, male given names, family names)
CULTURES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "en": (
        ("Emily", "Olivia", "Grace", "Chloe", "Hannah", "Abigail", "Madison", "Zoë", "Ava"),
        ("James", "Liam", "Noah", "Ethan", "Owen", "Caleb", "Jack", "Henry", "Samuel"),
        ("Smith", "Johnson", "Walker", "O'Brien", "Thompson", "Baker", "King", "Murphy", "Reid"),
    ),
    "es": (
        ("María", "Lucía", "Sofía", "Valentina", "Camila", "Ximena", "Inés", "Paula", "Begoña"),
        ("José", "Martín", "Andrés", "Joaquín", "Diego", "Íñigo", "Sebastián", "Raúl", "Mateo"),
        ("García", "Fernández", "López", "Martínez", "Muñoz", "Peña", "Ibáñez", "Núñez", "Ortiz"),
    ),
    "fr": (
        ("Léa", "Chloé", "Élodie", "Anaïs", "Camille", "Maëlle", "Hélène", "Céline", "Noémie"),
        ("Lucas", "Théo", "Jérôme", "François", "Loïc", "Gaël", "Étienne", "Hugo", "Raphaël"),
        ("Dubois", "Lefèvre", "Girard", "Bérubé", "Moreau", "Lemaître", "Côté", "Gagné", "Roux"),
    ),
    "de": (
        ("Lena", "Jülide", "Sophie", "Marlene", "Greta", "Anja", "Käthe", "Frieda", "Lotte"),
        ("Jonas", "Lukas", "Jürgen", "Maximilian", "Felix", "Søren", "Björn", "Till", "Paul"),
        ("Müller", "Schröder", "Weiß", "Becker", "Hoffmann", "Größer", "Krüger", "Wagner", "Vogt"),
    ),
    "pl": (
        ("Zofia", "Małgorzata", "Agnieszka", "Katarzyna", "Wiktoria", "Zuzanna", "Łucja", "Ewa"),
        ("Łukasz", "Paweł", "Wojciech", "Michał", "Jakub", "Bartłomiej", "Piotr", "Stanisław"),
        ("Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Zieliński", "Dąbrowski", "Lewandowski"),
    ),
    "vi": (
        ("Linh", "Mai", "Thảo", "Ngọc", "Hương", "Trang", "Phương", "Anh", "Hà"),
        ("Minh", "Huy", "Đức", "Quân", "Tuấn", "Khoa", "Long", "Bảo", "Phúc"),
        ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ"),
    ),
    "ng": (
        ("Chiamaka", "Adaeze", "Folake", "Ngozi", "Oluwaseun", "Amaka", "Temitope", "Zainab"),
        ("Chinedu", "Emeka", "Oluwadamilare", "Tunde", "Ikenna", "Babajide", "Obinna", "Musa"),
        ("Okafor", "Adeyemi", "Okonkwo", "Balogun", "Eze", "Nwosu", "Abubakar", "Olaniyan"),
    ),
    "in": (
        ("Aanya", "Priya", "Diya", "Kavya", "Ishita", "Meera", "Sneha", "Ananya", "Lakshmi"),
        ("Arjun", "Rohan", "Vihaan", "Aditya", "Karthik", "Rahul", "Siddharth", "Dev", "Nikhil"),
        ("Sharma", "Patel", "Iyer", "Reddy", "Gupta", "Nair", "Menon", "Singh", "Chatterjee"),
    ),
    "zh": (
        ("Xinyi", "Yuxuan", "Mei", "Jiayi", "Lan", "Zihan", "Ruoxi", "Yutong", "Hui"),
        ("Wei", "Hao", "Jun", "Zhiyuan", "Yichen", "Haoran", "Lei", "Bo", "Tao"),
        ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Lü"),
    ),
    "ar": (
        ("Fatima", "Layla", "Amira", "Noor", "Yasmin", "Huda", "Salma", "Mariam", "Rania"),
        ("Omar", "Youssef", "Karim", "Hassan", "Tariq", "Khalid", "Samir", "Ziad", "Bilal"),
        ("Al-Sayed", "Haddad", "Khoury", "Mansour", "Nasser", "El-Amin", "Saleh", "Aziz"),
    ),
    "nordic": (
        ("Ingrid", "Åsa", "Sigrún", "Freja", "Astrid", "Maja", "Guðrún", "Linnéa", "Elin"),
        ("Óskar", "Søren", "Håkon", "Magnús", "Erik", "Anders", "Jóhann", "Nils", "Leif"),
        ("Johansson", "Ólafsdóttir", "Nørgaard", "Lindqvist", "Halvorsen", "Åberg", "Sigurðsson"),
    ),
    "tr": (
        ("Elif", "Zeynep", "Ayşe", "Büşra", "Gülşen", "Şeyma", "İrem", "Defne", "Ece"),
        ("Mehmet", "Emre", "Çağlar", "Oğuz", "Barış", "Yiğit", "Kerem", "Ömer", "Can"),
        ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Aydın", "Doğan", "Güneş"),
    ),
}

CULTURE_WEIGHTS: dict[str, float] = {
    "en": 0.24,
    "es": 0.16,
    "fr": 0.08,
    "de": 0.06,
    "pl": 0.05,
    "vi": 0.07,
    "ng": 0.07,
    "in": 0.08,
    "zh": 0.07,
    "ar": 0.05,
    "nordic": 0.03,
    "tr": 0.04,
}

SUFFIXES: tuple[str, ...] = ("Jr.", "III", "Sr.")

# Staff: fixed, so teacher names are stable across seeds.
TEACHERS: tuple[tuple[str, str, str, str], ...] = (
    # sourcedId, given, family, class key taught (primary)
    ("tch-001", "Margaret", "O'Connell", "alg1"),
    ("tch-002", "Rafael", "Domínguez", "bio1"),
    ("tch-003", "Amélie", "Fournier", "hist1"),
    ("tch-004", "Kwame", "Asante", "eng1"),
    ("tch-005", "Ingrid", "Søndergaard", "phys1"),
    ("tch-006", "Daniel", "Cohen, Jr.", "alg1"),
)
ADMINS: tuple[tuple[str, str, str], ...] = (("adm-001", "Patricia", "Nakamura-Wells"),)
