# biplane TPROXY policy routing: packets marked 4242 are delivered locally through table 200; 'biplane capture --clean' removes it
ip -4 rule add fwmark 4242 lookup 200
ip -4 route add local 0.0.0.0/0 dev lo table 200
