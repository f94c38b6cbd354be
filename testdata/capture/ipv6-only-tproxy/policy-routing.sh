# biplane TPROXY policy routing: packets marked 1337 are delivered locally through table 133; 'biplane capture --clean' removes it
ip -6 rule add fwmark 1337 lookup 133
ip -6 route add local ::/0 dev lo table 133
