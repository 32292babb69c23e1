# Every ArchibaldOS module. Each does nothing until its enable option (or choice) is set,
# except branding, which names the system ArchibaldOS unless turned off.
{
  imports = [
    ./audio.nix
    ./audio-setup.nix
    ./branding.nix
    ./desktop.nix
    ./hydramesh.nix
    ./users.nix
  ];
}
