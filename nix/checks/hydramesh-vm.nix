# Two NixOS machines, each with a JACK dummy server and hydrameshd peered with the other,
# exchanging audio over the test network. Runs where Nix can build VMs (`nix flake check`).
{ pkgs, modules }:

let
  node = peer: { lib, ... }: {
    imports = modules;
    services.jack.jackd = {
      enable = true;
      extraOptions = [ "-d" "dummy" "-r" "48000" "-p" "64" ];
    };
    # The secret reaches the daemon as a systemd credential (mode 0400, the unit's user only).
    environment.etc."hydramesh-secret".text = "vm-test-session-secret";
    services.hydramesh = {
      enable = true;
      secretFile = "/etc/hydramesh-secret";
      settings.peers = [ "${peer}:7777" ];
      settings.audio.codec = "pcm16";
    };
    systemd.services.hydramesh = {
      after = [ "jack.service" ];
      requires = [ "jack.service" ];
    };
    system.stateVersion = "26.05";
  };
in
pkgs.testers.runNixOSTest {
  name = "archibaldos-hydramesh";
  nodes = {
    alice = node "bob";
    bob = node "alice";
  };
  testScript = ''
    import json

    start_all()
    for m in (alice, bob):
        m.wait_for_unit("jack.service")
        m.wait_for_unit("hydramesh.service")

    def received_from(machine, peer):
        stats = json.loads(machine.succeed("cat /var/lib/hydramesh/status.json"))
        return next(p for p in stats["peers"] if p["node-id"] == peer)["received"]

    # Audio flows both ways and keeps flowing.
    alice.wait_until_succeeds("test -s /var/lib/hydramesh/status.json")
    bob.wait_until_succeeds("test -s /var/lib/hydramesh/status.json")
    first = received_from(alice, "bob")
    alice.sleep(2)
    assert received_from(alice, "bob") > first, "alice stopped receiving from bob"
    assert received_from(bob, "alice") > 0, "bob received nothing from alice"

    # hydramesh-toggle stops and starts the daemon.
    alice.succeed("hydramesh-toggle")
    alice.wait_until_fails("systemctl is-active hydramesh.service")
    alice.succeed("hydramesh-toggle")
    alice.wait_for_unit("hydramesh.service")
  '';
}
