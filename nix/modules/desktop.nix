# archibald.desktop: which desktop the machine runs, with the utilities every install needs.
# Hyprland gets a Waybar whose HydraMesh block shows the daemon's state.
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkOption mkIf mkMerge types;
  choice = config.archibald.desktop;

  # Prints one line for Waybar: the HydraMesh unit's state. Never fails: Waybar shows output.
  # On PipeWire the daemon is the user's own service (services.hydramesh.graph).
  meshScope = lib.optionalString ((config.services.hydramesh.graph or "jack") == "pipewire") " --user";
  hydrameshStatus = pkgs.writeShellScript "waybar-hydramesh" ''
    if state="$(${pkgs.systemd}/bin/systemctl${meshScope} is-active hydramesh.service 2>/dev/null)"; then
      echo "mesh: $state"
    else
      echo "mesh: off"
    fi
  '';

  waybarConfig = {
    layer = "top";
    position = "top";
    modules-left = [ "hyprland/workspaces" ];
    modules-center = [ "clock" ];
    modules-right = [ "custom/hydramesh" "pulseaudio" "cpu" "memory" ];
    "custom/hydramesh" = {
      exec = "${hydrameshStatus}";
      interval = 5;
      on-click = "hydramesh-toggle";
      tooltip = false;
    };
  };
in
{
  options.archibald.desktop = mkOption {
    type = types.enum [ "hyprland" "plasma" "dwm" "none" ];
    default = "none";
    example = "hyprland";
    description = ''
      The desktop: a tiling Wayland compositor (`hyprland`, with Waybar), KDE Plasma 6
      (`plasma`), the dwm X11 window manager (`dwm`), or a console-only system (`none`).
    '';
  };

  config = mkMerge [
    (mkIf (choice != "none") {
      # A file manager, a text editor, a browser and the audio patchbay/mixer, on every desktop.
      environment.systemPackages = with pkgs; [ pcmanfm mousepad firefox qpwgraph pavucontrol ];
    })
    (mkIf (choice == "hyprland") {
      programs.hyprland.enable = true;
      programs.waybar.enable = true;
      environment.etc."xdg/waybar/config".text = builtins.toJSON waybarConfig;
      environment.systemPackages = [ pkgs.kitty ];
      services.displayManager.sddm = { enable = true; wayland.enable = true; };
    })
    (mkIf (choice == "plasma") {
      services.desktopManager.plasma6.enable = true;
      services.displayManager.sddm = { enable = true; wayland.enable = true; };
    })
    (mkIf (choice == "dwm") {
      services.xserver.enable = true;
      services.xserver.windowManager.dwm.enable = true;
      services.xserver.displayManager.lightdm.enable = true;
      environment.systemPackages = with pkgs; [ st dmenu ];
    })
  ];
}
