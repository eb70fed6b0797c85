<?php
// The tutorial's chat back-end: receives a message by POST and publishes it to every browser
// subscribed to "simplechat.newMessage" with a CometQL query. Connection details come from the
// environment (defaults: a comet server on this machine with comet.conf's default password).
$host = getenv("COMET_HOST") ?: "127.0.0.1";
$port = (int)(getenv("COMET_QL_PORT") ?: 3307);
$password = getenv("COMET_PASSWORD") ?: "CometQLPassword";

// Connecting
$comet = mysqli_connect($host, "root", $password, "CometQL_v1", $port);
if(mysqli_errno($comet))
{
    echo "Error:".mysqli_error($comet);
}

// Receive data from $_POST array
$msg = Array( "name" => $_POST["name"], "text"  => $_POST["text"] );
$msg = json_encode($msg);
$msg = mysqli_real_escape_string($comet, $msg);

// Query string
$query = "INSERT INTO pipes_messages (name, event, message)" .
  "VALUES('simplechat', 'newMessage', '".$msg."')";

// Send query
mysqli_query($comet, $query);
if(mysqli_errno($comet))
{
    echo "Error:".mysqli_error($comet);
}
else
{
    echo "ok";
}
