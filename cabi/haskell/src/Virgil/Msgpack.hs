-- | MessagePack for the Virgil ABI: the 'Value' model, the canonical encoder, the bounds-checked
-- decoder, and the 'ToMsgpack' / 'FromMsgpack' classes with their instances and record support.
module Virgil.Msgpack
  ( module Virgil.Msgpack.Value
  , module Virgil.Msgpack.Class
  ) where

import Virgil.Msgpack.Class
import Virgil.Msgpack.Value
