print("kip")
