"""Small built-in lists of plausible names per origin, for synthetic persons.

Common given names and family names of each origin region, combined at
random: no list describes a real person, and no name is taken from any
register. Family names that inflect by sex (Slavic, Baltic) are given as
``(male, female)`` pairs; others are the same for both sexes. Eritrean
persons take a male given name as family name (the father's name), as is the
custom.
"""

from __future__ import annotations

# origin -> (male given names, female given names, family names as (male, female) or plain)
_NAMES: dict[str, tuple[list[str], list[str], list]] = {
    "ukraine": (
        ["Oleksandr", "Andrii", "Serhii", "Dmytro", "Mykola", "Volodymyr", "Yurii", "Ivan", "Oleh", "Vasyl",
         "Maksym", "Bohdan", "Taras", "Petro", "Viktor", "Roman"],
        ["Olena", "Tetiana", "Nataliia", "Iryna", "Oksana", "Svitlana", "Yuliia", "Kateryna", "Mariia", "Anna",
         "Liudmyla", "Halyna", "Viktoriia", "Alina", "Daryna", "Sofiia"],
        ["Kovalenko", "Bondarenko", "Tkachenko", "Kravchenko", "Shevchenko", "Melnyk", "Boiko", "Kovalchuk",
         "Oliinyk", "Shevchuk", "Polishchuk", "Lysenko", "Marchenko", "Savchenko", "Rudenko", "Moroz",
         ("Ivanov", "Ivanova"), ("Petrov", "Petrova"), ("Sydorov", "Sydorova"), ("Pavlov", "Pavlova")],
    ),
    "syria": (
        ["Mohammad", "Ahmad", "Khaled", "Omar", "Ali", "Mahmoud", "Hassan", "Yousef", "Ibrahim", "Abdullah",
         "Rami", "Samer", "Bashar", "Hussein", "Tarek", "Nour"],
        ["Fatima", "Aya", "Rania", "Hala", "Lina", "Rasha", "Amal", "Dima", "Ghada", "Huda",
         "Maya", "Nisreen", "Reem", "Salma", "Yasmin", "Zeina"],
        ["Al-Hassan", "Haddad", "Khalil", "Nasser", "Saleh", "Darwish", "Hamdan", "Ibrahim", "Youssef",
         "Al-Ahmad", "Kassem", "Mansour", "Othman", "Suleiman", "Zaher", "Habib"],
    ),
    "palestine": (
        ["Mohammed", "Ahmed", "Yazan", "Karim", "Fadi", "Issa", "Jamal", "Majed", "Saeed", "Walid"],
        ["Leila", "Nadia", "Hanan", "Samar", "Rana", "Sana", "Mariam", "Duaa", "Asmaa", "Haya"],
        ["Abu Khalil", "Barghouti", "Hamdan", "Odeh", "Saleh", "Shaheen", "Awad", "Qasem", "Najjar", "Zayed"],
    ),
    "afghanistan": (
        ["Ahmad", "Mohammad", "Abdul", "Farid", "Jawad", "Mustafa", "Nasir", "Rahim", "Sayed", "Zabihullah",
         "Hamid", "Omid", "Karim", "Wahid", "Habib", "Murtaza"],
        ["Fatima", "Zahra", "Maryam", "Shabnam", "Parwana", "Nargis", "Sakina", "Marzia", "Freshta", "Mahbooba",
         "Shakila", "Laila", "Roya", "Soraya", "Zainab", "Nilofar"],
        ["Ahmadi", "Hussaini", "Mohammadi", "Rahimi", "Karimi", "Hashimi", "Sultani", "Popal", "Noori",
         "Haidari", "Rezaei", "Jafari", "Sadat", "Wardak", "Amiri", "Azizi"],
    ),
    "eritrea": (
        ["Tesfay", "Yonas", "Dawit", "Filmon", "Mehari", "Samuel", "Tekle", "Haile", "Berhane", "Kidane",
         "Goitom", "Aman", "Yohannes", "Michael", "Biniam", "Efrem"],
        ["Helen", "Selam", "Senait", "Rahel", "Saba", "Luwam", "Yordanos", "Winta", "Mebrat", "Tsega",
         "Feven", "Hiwet", "Elsa", "Mizan", "Ruta", "Semhar"],
        None,  # father's given name
    ),
    "somalia": (
        ["Abdi", "Mohamed", "Ahmed", "Hassan", "Abdirahman", "Yusuf", "Ismail", "Omar", "Mustafe", "Abdullahi",
         "Liban", "Farah", "Hamza", "Said"],
        ["Amina", "Hodan", "Fadumo", "Hibo", "Sahra", "Ayaan", "Ifrah", "Nasra", "Khadra", "Ubah",
         "Muna", "Deeqa", "Faiza", "Hamdi"],
        ["Mohamed", "Hassan", "Ali", "Abdi", "Warsame", "Farah", "Jama", "Omar", "Aden", "Hussein",
         "Osman", "Yusuf", "Dirie", "Elmi"],
    ),
    "congo": (
        ["Jean", "Patrick", "Joseph", "Emmanuel", "Christian", "Pierre", "Didier", "Eric", "Olivier", "Serge",
         "Blaise", "Fiston"],
        ["Marie", "Grace", "Esther", "Chantal", "Josephine", "Nadine", "Sarah", "Rachel", "Jeanne", "Clarisse",
         "Ange", "Furaha"],
        ["Mukendi", "Kabongo", "Ilunga", "Tshibanda", "Kasongo", "Mbuyi", "Ngoy", "Lukusa", "Kalala", "Mwamba",
         "Banza", "Kayembe"],
    ),
    "sudan": (
        ["Mohamed", "Ahmed", "Osman", "Abdelrahman", "Mustafa", "Adam", "Yasir", "Hamid", "Elfatih", "Musa",
         "Babiker", "Tarig"],
        ["Fatima", "Amna", "Sara", "Hiba", "Rayan", "Samah", "Nafisa", "Mona", "Suad", "Tasneem",
         "Ilham", "Hawa"],
        ["Osman", "Abdalla", "Elamin", "Babiker", "Adam", "Ibrahim", "Musa", "Hamid", "Yousif", "Eltayeb",
         "Bashir", "Idris"],
    ),
    "iran": (
        ["Reza", "Ali", "Mehdi", "Hossein", "Amir", "Saeed", "Behnam", "Farhad", "Kaveh", "Arash"],
        ["Maryam", "Fatemeh", "Zahra", "Sara", "Narges", "Shirin", "Leila", "Parisa", "Mina", "Nasrin"],
        ["Ahmadi", "Hosseini", "Karimi", "Moradi", "Rostami", "Jafari", "Sadeghi", "Rahimi", "Ghasemi", "Kazemi"],
    ),
    "turkey": (
        ["Mehmet", "Mustafa", "Ahmet", "Ali", "Hüseyin", "Hasan", "Emre", "Murat", "Serkan", "Burak"],
        ["Ayşe", "Fatma", "Emine", "Zeynep", "Elif", "Merve", "Hatice", "Esra", "Derya", "Gül"],
        ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın", "Öztürk", "Arslan", "Doğan"],
    ),
    "thailand": (
        ["Somchai", "Somsak", "Anan", "Prasert", "Niran", "Chaiwat", "Kittisak", "Wichai"],
        ["Siriporn", "Nittaya", "Pranee", "Supaporn", "Kanya", "Malee", "Ratana", "Wanida", "Jintana", "Sunisa"],
        ["Saetang", "Srisuk", "Wongsa", "Chaiyaphum", "Boonmee", "Sukprasert", "Thongdee", "Kaewkla"],
    ),
    "philippines": (
        ["Jose", "Mark", "John Paul", "Rodel", "Ramon", "Jericho", "Rey", "Arnel"],
        ["Maria", "Rosalie", "Jocelyn", "Marites", "Analyn", "Rowena", "Lorna", "Cristina", "Jennelyn", "Mylene"],
        ["Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Mendoza", "Villanueva", "Dela Cruz", "Ramos", "Aquino"],
    ),
    "russia": (
        ["Aleksei", "Dmitrii", "Sergei", "Andrei", "Nikolai", "Pavel", "Mikhail", "Artem"],
        ["Elena", "Olga", "Natalia", "Irina", "Svetlana", "Tatiana", "Anastasia", "Ekaterina"],
        [("Smirnov", "Smirnova"), ("Kuznetsov", "Kuznetsova"), ("Popov", "Popova"), ("Sokolov", "Sokolova"),
         ("Lebedev", "Lebedeva"), ("Kozlov", "Kozlova"), ("Novikov", "Novikova"), ("Morozov", "Morozova")],
    ),
    "india": (
        ["Rahul", "Amit", "Arjun", "Vikram", "Suresh", "Rohan", "Karthik", "Sanjay"],
        ["Priya", "Ananya", "Kavya", "Sneha", "Pooja", "Divya", "Lakshmi", "Meera"],
        ["Sharma", "Patel", "Reddy", "Nair", "Iyer", "Singh", "Gupta", "Menon", "Rao", "Kumar"],
    ),
    "poland": (
        ["Piotr", "Krzysztof", "Tomasz", "Paweł", "Marcin", "Michał", "Grzegorz", "Łukasz"],
        ["Anna", "Katarzyna", "Agnieszka", "Magdalena", "Joanna", "Monika", "Ewa", "Aleksandra"],
        ["Nowak", "Wiśniewski", "Wójcik", "Kamiński", "Lewandowski", "Zieliński", "Szymański", "Woźniak",
         ("Kowalski", "Kowalska"), ("Dąbrowski", "Dąbrowska")],
    ),
    "lithuania": (
        ["Tomas", "Mantas", "Darius", "Andrius", "Jonas", "Paulius", "Mindaugas", "Vytautas"],
        ["Rūta", "Jurgita", "Laura", "Agnė", "Inga", "Kristina", "Asta", "Greta"],
        [("Kazlauskas", "Kazlauskienė"), ("Jankauskas", "Jankauskienė"), ("Petrauskas", "Petrauskienė"),
         ("Stankevičius", "Stankevičienė"), ("Vasiliauskas", "Vasiliauskienė"), ("Žukauskas", "Žukauskienė")],
    ),
    "sweden": (
        ["Erik", "Lars", "Anders", "Johan", "Karl", "Per", "Mikael", "Oskar"],
        ["Anna", "Maria", "Karin", "Sara", "Emma", "Elin", "Linnea", "Ida"],
        ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson"],
    ),
}

ORIGINS: tuple[str, ...] = tuple(_NAMES)


def name_pools() -> dict[str, tuple[list[str], list[str], list[str], list[str]]]:
    """Per origin: (male given, female given, male family, female family) as parallel lists."""
    pools = {}
    for origin, (male, female, family) in _NAMES.items():
        if family is None:  # patronymic: father's given name
            fam_m = fam_f = list(male)
        else:
            fam_m = [f[0] if isinstance(f, tuple) else f for f in family]
            fam_f = [f[1] if isinstance(f, tuple) else f for f in family]
        pools[origin] = (list(male), list(female), fam_m, fam_f)
    return pools
