<?php
/*
 * Written by wpfleet: the one wp-config.php of this environment's core copy.
 * It loads the tenant's own configuration, whose path nginx passes as the fastcgi
 * parameter WPFLEET_TENANT_CONFIG (php-cli: the environment variable of that name).
 * Only files named wp-config.php directly under this environment's tenants directory
 * are accepted.
 */
$wpfleet_config = $_SERVER['WPFLEET_TENANT_CONFIG'] ?? getenv('WPFLEET_TENANT_CONFIG');
$wpfleet_root = '__TENANTS_ROOT__/';
if (!is_string($wpfleet_config)
    || strncmp($wpfleet_config, $wpfleet_root, strlen($wpfleet_root)) !== 0
    || !preg_match('#^[a-z0-9-]+/wp-config\.php$#', substr($wpfleet_config, strlen($wpfleet_root)))) {
    header('HTTP/1.1 404 Not Found');
    echo "wpfleet: no tenant configuration for this request\n";
    exit(1);
}
require $wpfleet_config;
if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
