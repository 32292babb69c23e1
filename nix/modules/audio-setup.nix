# Installs audio-setup, and /etc/audio-setup.sh for the name users of the original know.
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkOption mkIf types;
  cfg = config.archibald.audioSetup;
in
{
  options.archibald.audioSetup = {
    enable = mkOption {
      type = types.bool;
      default = config.archibald.audio.enable;
      defaultText = lib.literalExpression "config.archibald.audio.enable";
      description = "Install the audio-setup tool and the /etc/audio-setup.sh wrapper.";
    };
    package = mkOption {
      type = types.package;
      default = pkgs.archibald-tools;
      defaultText = lib.literalExpression "pkgs.archibald-tools";
      description = "Package providing bin/audio-setup.";
    };
  };

  config = mkIf cfg.enable {
    environment.systemPackages = [ cfg.package ];
    environment.etc."audio-setup.sh" = {
      mode = "0755";
      text = ''
        #!/bin/sh
        # On NixOS, fixes are made in the configuration: 'apply' prints the snippet instead.
        exec ${cfg.package}/bin/audio-setup "$@"
      '';
    };
  };
}
